"""Every form refuses control characters: the sign-up (tests/public/test_signup_input.py), the status
page, the join button, staff sign-in and search, and any form added later (it is the base class)."""

import importlib
import pkgutil

import pytest
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

import portal
from portal.forms import PortalForm, normalize_phone, without_control_characters
from tests.conftest import post_form
from tests.factories import make_signup, make_staff, sign_in

STAFF = {"email": "helpdesk@agency.example.gov", "password": "correct horse battery staple"}


def test_every_form_of_the_portal_is_a_portal_form():
    for module in pkgutil.walk_packages(portal.__path__, "portal."):
        importlib.import_module(module.name)
    forms = _subclasses(FlaskForm) - {PortalForm}
    assert {form.__name__ for form in forms} >= {"SignupForm", "StatusForm", "JoinForm", "LoginForm", "SearchForm"}
    for form in forms:
        assert issubclass(form, PortalForm), f"{form.__module__}.{form.__name__} must derive from PortalForm"


def _subclasses(cls) -> set[type]:
    found = set()
    for subclass in cls.__subclasses__():
        if subclass.__module__.startswith("portal."):
            found.add(subclass)
        found |= _subclasses(subclass)
    return found


def test_a_form_added_later_refuses_control_characters_in_every_field(app):
    class NoteForm(PortalForm):
        class Meta:
            csrf = False

        subject = StringField("Subject")
        note = TextAreaField("Note")
        secret = PasswordField("Secret")
        kind = RadioField("Kind", choices=[SelectChoice("a", "A"), SelectChoice("b", "B")])

    def errors(**data):
        with app.test_request_context("/en/", method="POST", data=data):
            form = NoteForm()
            form.validate()
            return {name: messages[0] for name, messages in form.errors.items()}

    assert errors(subject="Call back", note="Line one\r\nLine two\tand a tab", secret="x", kind="a") == {}
    assert errors(subject="Call\x00 back", note="ok", secret="x", kind="a") == {
        "subject": "Subject has hidden characters in it, which can come from copying and pasting. We took them "
                   "out: check it and send the form again."}
    assert set(errors(subject="ok", note="a\x00b", secret="\x1b", kind="a\x00")) == {"note", "secret", "kind"}


def test_without_control_characters_keeps_words_apart():
    assert without_control_characters("Maria\r\nGonzalez\x00\u202e") == "Maria  Gonzalez"


@pytest.mark.parametrize(("typed", "number"), [
    ("518-555-0123", "+15185550123"), ("(518) 555 0123", "+15185550123"), ("+1 518.555.0123", "+15185550123"),
    ("+1 787 555 0123", "+17875550123"),  # Puerto Rico shares the +1 plan
    ("+52 55 1234 5678", None), ("5185550123x12", None), ("1-800-FLOWERS", None), ("555-0123", None),
])
def test_normalize_phone(typed, number):
    assert normalize_phone(typed) == number


# --- Status page ------------------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["reference_code", "email", "action"])
def test_status_page_refuses_control_characters_not_a_500(app, client, field):
    with app.app_context():
        code = make_signup().reference_code
    data = {"reference_code": code, "email": "maria.gonzalez@example.com", "action": "resend"}
    data[field] += "\x00"
    response = post_form(client, "/es/status", data)
    assert response.status_code == 400
    assert "tiene caracteres ocultos" in response.get_data(as_text=True)


def test_status_page_refuses_a_huge_reference_code(app, client):
    response = post_form(client, "/en/status", {"reference_code": "K7MQ" * 10_000, "email": "a@example.com"})
    assert response.status_code == 400


# --- Staff sign-in and search -------------------------------------------------------------------------

def test_sign_in_refuses_control_characters_not_a_500(app, client):
    with app.app_context():
        make_staff()
    response = post_form(client, "/admin/login", {**STAFF, "email": STAFF["email"] + "\x00"})
    assert response.status_code == 400
    assert "Email address has hidden characters in it" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # not signed in


@pytest.mark.parametrize("next_url", [
    "/admin/\r\nSet-Cookie: session=forged",
    "/admin/%0d%0aX-Injected: 1",
    "/admin/\x00",
    "/admin/\\evil.example",
    "/admin/..//evil.example",
    "https://evil.example/admin/",
    "/admin/ space",
])
def test_odd_next_after_sign_in_goes_to_the_queue_never_into_a_header(app, client, next_url):
    """The issue's CRLF in `next` answered 500 (Werkzeug refuses a newline in a header value)."""
    with app.app_context():
        make_staff()
    response = client.get("/admin/login", query_string={"next": next_url})
    assert response.status_code == 200
    response = post_form(client, "/admin/login?" + _query(next_url), STAFF)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert "X-Injected" not in response.headers and "forged" not in response.headers.get("Set-Cookie", "")


def _query(next_url: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": next_url})


def test_an_ordinary_next_is_followed(app, client):
    with app.app_context():
        make_staff()
    response = post_form(client, "/admin/login?next=/admin/requests/ABCD-2345", STAFF)
    assert response.headers["Location"] == "/admin/requests/ABCD-2345"


def test_search_with_control_characters_says_so_and_searches_nothing(app, client):
    with app.app_context():
        make_staff()
        make_signup()
    sign_in(client)
    response = client.get("/admin/requests", query_string={"q": "Maria\x00"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "has hidden characters in it" in page
    assert 'value="Maria"' in page
    assert client.get("/admin/requests", query_string={"q": "Maria"}).status_code == 200
