import html
import re

import pytest

from portal.models import RequestState, SignupRequest
from tests.conftest import post_form
from tests.factories import FORM_DATA
from tests.smtp import html_body, text_body


def test_root_sends_visitors_to_their_browser_language(client):
    assert client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9"}).headers["Location"] == "/es/"
    assert client.get("/", headers={"Accept-Language": "fr,en;q=0.5"}).headers["Location"] == "/en/"
    assert client.get("/").headers["Location"] == "/en/"


@pytest.mark.parametrize("url", ["/en/", "/es/", "/en/signup", "/es/signup", "/en/status", "/es/status"])
def test_every_public_page_links_to_the_other_language(client, url):
    page = client.get(url).get_data(as_text=True)
    other = "/es/" if url.startswith("/en/") else "/en/"
    assert f'href="{other}{url[4:]}"' in page
    assert f'<html lang="{url[1:3]}">' in page


def test_unknown_language_is_not_found(client):
    assert client.get("/fr/signup").status_code == 404


@pytest.mark.parametrize(
    ("language", "heading", "invitation_subject", "invitation_phrase"),
    [
        ("en", "We got your request", "Your free access to Coursera is ready", "Create your account by"),
        ("es", "Recibimos su solicitud", "Su acceso gratuito a Coursera está listo", "Cree su cuenta a más tardar el"),
    ],
)
def test_signup_ends_with_an_invitation_in_the_applicants_language(
    app, client, smtp, run_jobs, language, heading, invitation_subject, invitation_phrase
):
    data = {**FORM_DATA, "preferred_language": language, "email": f"worker.{language}@example.com"}
    response = post_form(client, f"/{language}/signup", data, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert heading in page
    assert data["email"] in page
    assert "48" in page
    with app.app_context():
        code = SignupRequest.query.one().reference_code
    assert code not in page  # the page is the same for an address that already applied: the code is in the email

    run_jobs()
    messages = smtp.messages_to(data["email"])
    assert len(messages) == 2
    confirmation = next(m for m in messages if m["Subject"] != invitation_subject)
    assert code in text_body(confirmation) and code in html_body(confirmation)
    invitation = next(m for m in messages if m["Subject"] == invitation_subject)
    assert invitation_phrase in text_body(invitation)
    assert code in text_body(invitation) and code in html_body(invitation)
    assert f'lang="{language}"' in html_body(invitation)
    with app.app_context():
        assert SignupRequest.query.one().state == RequestState.INVITED


def test_page_language_and_email_language_are_separate_choices(app, client, smtp, run_jobs):
    """Someone reading the English page may still want their emails in Spanish."""
    post_form(client, "/en/signup", {**FORM_DATA, "preferred_language": "es"})
    run_jobs()
    assert {m["Subject"] for m in smtp.messages} == {
        "Recibimos su solicitud de cursos gratuitos en línea",
        "Su acceso gratuito a Coursera está listo",
    }


def test_ineligible_answer_explains_why_by_email_too_and_sends_no_invitation(app, client, smtp, run_jobs):
    data = {**FORM_DATA, "employment_status": "underemployed", "layoff_notice": "no"}
    page = post_form(client, "/en/signup", data, follow_redirects=True).get_data(as_text=True)
    assert "You cannot get free courses right now" in page
    assert "People who work fewer hours or earn less than they need can get them only if they have a layoff" in page
    run_jobs()
    assert [message["Subject"] for message in smtp.messages] == ["About your request for free online courses"]
    assert "People who work fewer hours or earn less than they need" in text_body(smtp.messages[0])
    with app.app_context():
        signup = SignupRequest.query.one()
        assert signup.state == RequestState.DENIED
        assert signup.invited_at is None


def test_ineligible_answer_in_spanish(client):
    data = {**FORM_DATA, "agency_staff": "yes"}
    page = post_form(client, "/es/signup", data, follow_redirects=True).get_data(as_text=True)
    assert "Por ahora no puede recibir los cursos gratuitos" in page
    assert "Staff of the workforce agency" not in page


def test_bad_input_comes_back_with_translated_errors_and_everything_typed(app, client):
    typed = {**FORM_DATA, "email": "maria.gonzalez@", "zip_code": "1220", "employment_status": "",
             "attestation": "", "case_id": "OS-12345"}
    response = post_form(client, "/es/signup", typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert page.count("usa-error-message") == 4
    summary = page[page.index("portal-error-summary"):page.index("</ul>")]
    for message in ("Escriba un correo electrónico", "código postal", "Elija", "Confirme"):
        assert message in summary, message
    assert "<title>Error:" in page
    for field in ("first_name", "last_name", "phone", "case_id"):
        assert f'value="{html.escape(typed[field], quote=True)}"' in page, field
    assert 'value="maria.gonzalez@"' in page and 'value="1220"' in page
    assert re.search(r'id="preferred_language-0"[^>]*checked|checked[^>]*id="preferred_language-0"', page)
    assert re.search(r'id="covid_related-0"[^>]*checked|checked[^>]*id="covid_related-0"', page)
    with app.app_context():
        assert SignupRequest.query.count() == 0


def test_errors_point_at_their_fields(client):
    page = post_form(client, "/en/signup", {}).get_data(as_text=True)
    for target in ("#first_name", "#email", "#zip_code", "#employment_status-0", "#attestation"):
        assert f'href="{target}"' in page
    assert 'aria-describedby="email-hint email-error"' in page
    assert 'aria-invalid="true"' in page


def test_form_without_csrf_token_is_refused(client):
    assert client.post("/en/signup", data=FORM_DATA).status_code == 400


def test_phone_is_checked_and_stored_in_one_form(app, client):
    page = post_form(client, "/en/signup", {**FORM_DATA, "phone": "12"}).get_data(as_text=True)
    assert "Enter a phone number with area code" in page
    post_form(client, "/en/signup", {**FORM_DATA, "phone": "(518) 555-0123"})
    with app.app_context():
        assert SignupRequest.query.one().phone == "+15185550123"


def test_received_page_without_a_signup_goes_back_to_the_form(client):
    assert client.get("/en/signup/received").headers["Location"] == "/en/signup"


def test_health_checks(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["database"] == ready.json["redis"] == "ok"


def test_received_page_forgets_the_applicant_after_half_an_hour(client):
    """Many applicants use a library computer: the next person must not see their code and email."""
    from datetime import UTC, datetime, timedelta

    import time_machine

    post_form(client, "/en/signup", FORM_DATA)
    assert FORM_DATA["email"] in client.get("/en/signup/received").get_data(as_text=True)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=31)):
        assert client.get("/en/signup/received").headers["Location"] == "/en/signup"
