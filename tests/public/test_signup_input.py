"""Crafted and careless input on the sign-up form: refused with a translated message, never a 500.

Each test runs on SQLite and on PostgreSQL, where the issue found the 500s (PostgreSQL refuses NUL
in text, and a ZIP with a trailing newline did not fit its column).
"""

import html

import pytest

from portal.models import SignupRequest
from tests.conftest import post_form
from tests.factories import FORM_DATA

HIDDEN_CHARACTERS = {
    "en": "has hidden characters in it, which can come from copying and pasting",
    "es": "tiene caracteres ocultos, que pueden venir de copiar y pegar",
}
CONFIRM = {"en": "Confirm that your answers are true", "es": "Confirme que sus respuestas son verdaderas"}
ZIP_MESSAGE = {"en": "Enter a 5-digit ZIP code, like 12207", "es": "Escriba un código postal (ZIP) de 5 dígitos"}
TYPED_FIELDS = ["first_name", "last_name", "email", "phone", "zip_code", "case_id"]


def saved_requests(app) -> int:
    with app.app_context():
        return SignupRequest.query.count()


# --- The findings of the issue ------------------------------------------------------------------

def test_nul_in_a_name_is_refused_with_a_message_not_a_500(app, client):
    response = post_form(client, "/en/signup", {**FORM_DATA, "first_name": "Ma\x00ria"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"First name {HIDDEN_CHARACTERS['en']}" in page
    assert 'value="Maria"' in page  # shown back without the NUL, ready to send again
    assert saved_requests(app) == 0


def test_zip_code_with_a_trailing_newline_is_refused_not_a_500(app, client):
    response = post_form(client, "/en/signup", {**FORM_DATA, "zip_code": "12207-1234\n"})
    assert response.status_code == 400
    assert f"ZIP code {HIDDEN_CHARACTERS['en']}" in response.get_data(as_text=True)
    assert saved_requests(app) == 0


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("sent", ["no", "0", "false", "off", "Y", "yes", "on", ""])
def test_attestation_counts_only_as_the_checkbox_value(app, client, language, sent):
    response = post_form(client, f"/{language}/signup", {**FORM_DATA, "attestation": sent})
    assert response.status_code == 400
    assert CONFIRM[language] in response.get_data(as_text=True)
    assert saved_requests(app) == 0


def test_attestation_missing_or_sent_twice_is_not_attested(app, client):
    without = {key: value for key, value in FORM_DATA.items() if key != "attestation"}
    assert post_form(client, "/en/signup", without).status_code == 400
    assert post_form(client, "/en/signup", {**FORM_DATA, "attestation": ["y", "no"]}).status_code == 400
    assert saved_requests(app) == 0
    assert post_form(client, "/en/signup", FORM_DATA).status_code == 302
    assert saved_requests(app) == 1


# --- Control characters on every field ------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("field", TYPED_FIELDS)
@pytest.mark.parametrize("character", ["\x00", "\r\n", "\t", "\x1b", "\x7f", "\x85", "\u2028", "\u202e"])
def test_every_typed_field_refuses_control_characters_in_the_pages_language(app, client, language, field,
                                                                             character):
    typed = FORM_DATA[field] or "OS-1234"
    middle = len(typed) // 2
    response = post_form(client, f"/{language}/signup",
                         {**FORM_DATA, field: typed[:middle] + character + typed[middle:]})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert HIDDEN_CHARACTERS[language] in page
    assert page.count("usa-error-message") == 1  # only that field
    assert f'href="#{field}"' in page  # the error summary leads to it
    assert character not in page
    assert saved_requests(app) == 0


@pytest.mark.parametrize("field", ["preferred_language", "employment_status", "covid_related", "layoff_notice",
                                   "agency_staff", "attestation"])
def test_choices_with_control_characters_are_not_choices(app, client, field):
    response = post_form(client, "/es/signup", {**FORM_DATA, field: FORM_DATA[field] + "\x00"})
    assert response.status_code == 400
    assert "Elija una de las respuestas que se muestran." in response.get_data(as_text=True)
    assert saved_requests(app) == 0


def test_everything_typed_comes_back_after_a_refusal(app, client):
    typed = {**FORM_DATA, "first_name": "José\tLuis", "last_name": "Núñez-Brien", "case_id": "OS-12345"}
    page = post_form(client, "/en/signup", typed).get_data(as_text=True)
    assert 'value="José Luis"' in page  # the tab became a space
    for field in ("last_name", "email", "phone", "zip_code", "case_id"):
        assert f'value="{html.escape(typed[field], quote=True)}"' in page, field


# --- ZIP code, phone and case id ------------------------------------------------------------------

@pytest.mark.parametrize("zip_code", ["1220", "122071", "12207-", "12207-123", "12207 1234", "１２２０７", "١٢٢٠٧",
                                      "12207-1234-", "ABCDE"])
def test_zip_codes_that_are_not_five_digits_or_zip_plus_four_are_refused(app, client, zip_code):
    response = post_form(client, "/es/signup", {**FORM_DATA, "zip_code": zip_code})
    assert response.status_code == 400
    assert ZIP_MESSAGE["es"] in response.get_data(as_text=True)


@pytest.mark.parametrize(("typed", "stored"), [("12207", "12207"), ("12207-1234", "12207-1234"), (" 12207 ", "12207")])
def test_zip_code_and_zip_plus_four_are_accepted(app, client, typed, stored):
    assert post_form(client, "/en/signup", {**FORM_DATA, "zip_code": typed}).status_code == 302
    with app.app_context():
        assert SignupRequest.query.one().zip_code == stored


@pytest.mark.parametrize("phone", ["+44 20 7946 0958", "518-555-0123 ext. 12", "1-800-FLOWERS", "555-0123",
                                   "518 555 0123 0000000000000000000000"])
def test_phone_numbers_must_be_us_numbers_in_digits(app, client, phone):
    response = post_form(client, "/en/signup", {**FORM_DATA, "phone": phone})
    assert response.status_code == 400
    assert "Enter a phone number with area code" in response.get_data(as_text=True)


@pytest.mark.parametrize("case_id", ["OS 12345", "OS_12345", "ÖS12345", "A" * 21, "12345;DROP"])
def test_case_ids_are_letters_digits_and_hyphens(app, client, case_id):
    response = post_form(client, "/en/signup", {**FORM_DATA, "case_id": case_id})
    assert response.status_code == 400
    assert "Use only letters, numbers and hyphens" in response.get_data(as_text=True)
