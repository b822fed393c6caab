"""The pages under their own Content-Security-Policy, enforced as a browser does: nothing blocked,
the page's script still runs, the join button still leads on to the provider; and an error page as
an applicant sees it."""

import re

import pytest
from playwright.sync_api import expect

from portal.links import join_token
from portal.programs import current_program
from tests.browser.test_signup_browser import _screenshot, _serious, _sideways_scrolling, _violations
from tests.factories import make_invited_signup

pytestmark = pytest.mark.browser


@pytest.fixture
def enforcing_page(browser, browser_context_args):
    """A page whose context enforces CSP, with every violation the browser reports collected."""
    context = browser.new_context(**{**browser_context_args, "bypass_csp": False})
    page = context.new_page()
    page.violations = []

    def keep_violation(message):
        if "Content Security Policy" in message.text:
            page.violations.append(message.text)

    page.on("console", keep_violation)
    yield page
    context.close()


def test_pages_work_under_their_own_policy(app, live_server, enforcing_page):
    page = enforcing_page
    with app.app_context():
        signup = make_invited_signup(email="rosa@example.com", first_name="Rosa", preferred_language="es")
        token = join_token(signup.reference_code)
        provider_url = current_program().provider_join_url
    for path in ("/en/", "/es/signup", "/es/status", "/admin/login", "/es/no-such-page"):
        page.goto(f"{live_server}{path}")

    page.goto(f"{live_server}/es/signup")
    page.get_by_role("button", name="Enviar mi solicitud").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()  # portal.js ran: it is 'self'

    page.route(re.compile(r"https://www\.coursera\.org/.*"),
               lambda route: route.fulfill(body="<title>Provider</title>", content_type="text/html"))
    page.goto(f"{live_server}/es/join/{token}")
    page.get_by_role("button", name=re.compile("Crear mi cuenta")).click()
    expect(page).to_have_url(provider_url)  # form-action lets the redirect after the button through
    assert page.violations == []


def test_spanish_error_page_on_a_phone(live_server, page):
    page.set_extra_http_headers({"Accept-Language": "en"})
    response = page.goto(f"{live_server}/es/solicitud-que-no-existe")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("No encontramos esta página")
    expect(page.get_by_role("link", name="Ir a la página principal")).to_have_attribute("href", "/es/")
    assert _serious(_violations(page)) + _sideways_scrolling(page) == []
    _screenshot(page, "error-404-es.png")
