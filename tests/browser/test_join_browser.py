"""Accepting the invitation on a phone: the link from the real email, one button, on to the provider."""

import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import RequestState, SignupRequest
from portal.programs import current_program
from tests.browser.test_signup_browser import _screenshot, _serious, _sideways_scrolling, _violations
from tests.factories import make_signup
from tests.smtp import email_kind, text_body

pytestmark = pytest.mark.browser


def test_spanish_learner_follows_the_invitation_and_reaches_the_provider(app, live_server, page, smtp, run_jobs):
    with app.app_context():
        reference = make_signup(email="rosa@example.com", first_name="Rosa", preferred_language="es").reference_code
        provider_url = current_program().provider_join_url
    app.config["PUBLIC_BASE_URL"] = live_server  # links in emails point at this server
    run_jobs()
    invitation = next(message for message in smtp.messages if email_kind(message) == "invitation")
    link = re.search(r"(http://\S+/es/join/\S+)", text_body(invitation)).group(1)

    page.route(re.compile(r"https://www\.coursera\.org/.*"),
               lambda route: route.fulfill(body="<title>Provider</title>", content_type="text/html"))
    page.goto(f"{live_server}/es/status")  # "I never got the email": the status page has the same way in
    page.get_by_label("Código de referencia").fill(reference)
    page.get_by_label("Correo electrónico").fill("rosa@example.com")
    page.get_by_role("button", name="Consultar mi solicitud").click()
    expect(page.get_by_role("link", name="Crear mi cuenta de Coursera")).to_be_visible()
    assert _serious(_violations(page)) + _sideways_scrolling(page) == []
    _screenshot(page, "status-invited-es.png")

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rosa")
    assert _serious(_violations(page)) + _sideways_scrolling(page) == []
    _screenshot(page, "join-es.png")

    page.get_by_role("button", name="Crear mi cuenta de Coursera").click()
    expect(page).to_have_url(provider_url)
    with app.app_context():
        signup = db.session.scalar(db.select(SignupRequest).filter_by(reference_code=reference))
        assert signup.state == RequestState.ENROLLED

    page.goto(link[:-3] + "xyz")  # a link cut short by a mail program
    expect(page.get_by_role("heading", level=1)).to_have_text("Este enlace ya no funciona")
    assert _serious(_violations(page)) == []
