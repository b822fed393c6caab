"""The sign-up as a person on a phone does it: in a real browser, in Spanish, with and without JavaScript."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.smtp import text_body

pytestmark = pytest.mark.browser

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "test-results"  # git-ignored
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
REFERENCE_CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}\b")

# Only what a report needs, so large axe results do not cross into Python.
RUN_AXE = """() => axe.run().then(result => result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(" ")),
})))"""


def _screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def _choose(page, input_id: str) -> None:
    """USWDS hides the real radio or checkbox off-screen; a person taps its label."""
    page.locator(f'label[for="{input_id}"]').click()


def test_spanish_applicant_fills_the_form_and_finds_the_reference_code_in_the_email(live_server, page, smtp, run_jobs):
    email = "lucia.ramirez@example.com"
    page.goto(f"{live_server}/es/signup")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Inscríbase en los cursos gratuitos en línea")

    page.get_by_label("Nombre", exact=True).fill("Lucía")
    page.get_by_label("Apellidos", exact=True).fill("Ramírez Núñez")
    page.get_by_label("Correo electrónico", exact=True).fill(email)
    page.get_by_label("Número de teléfono (opcional)", exact=True).fill("518 555 0123")
    page.get_by_label("Código postal (ZIP)", exact=True).fill("12207")
    _choose(page, "preferred_language-1")  # Español
    _choose(page, "employment_status-0")  # lost my job / laid off
    expect(page.locator("#layoff_notice-0")).to_be_hidden()  # asked only of people who work
    _choose(page, "covid_related-0")  # yes
    _choose(page, "agency_staff-1")  # no
    _choose(page, "attestation")

    expect(page.get_by_role("radio", name="Español")).to_be_checked()
    expect(page.locator("#employment_status-0")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Confirmo que mis respuestas son verdaderas.")).to_be_checked()
    _screenshot(page, "signup-es-filled.png")

    page.get_by_role("button", name="Enviar mi solicitud").click()

    expect(page).to_have_url(re.compile(r"/es/signup/received$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Recibimos su solicitud")
    expect(page.get_by_role("status")).to_contain_text(
        f"Le estamos enviando un correo electrónico a {email} con su código de referencia.")
    _screenshot(page, "signup-es-received.png")

    run_jobs()
    confirmations = [m for m in smtp.messages_to(email)
                     if m["Subject"] == "Recibimos su solicitud de cursos gratuitos en línea"]
    invitations = [m for m in smtp.messages_to(email)
                   if m["Subject"] == "Su acceso gratuito a Coursera está listo"]
    assert len(confirmations) == len(invitations) == 1, [m["Subject"] for m in smtp.messages]
    code = REFERENCE_CODE.search(text_body(confirmations[0])).group(0)
    assert code in text_body(invitations[0])


def test_form_errors_work_without_javascript(live_server, browser, browser_context_args):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/en/signup")
        page.get_by_label("First name", exact=True).fill("Maria")
        page.get_by_role("button", name="Send my request").click()

        summary = page.locator("[data-error-summary]")
        expect(summary.get_by_role("heading")).to_have_text("There is a problem")
        expect(page).to_have_title(re.compile(r"^Error:"))
        links = summary.get_by_role("link")
        expect(links.first).to_have_text("Enter your last name")
        expect(summary.locator('a[href="#last_name"]')).to_be_visible()
        expect(summary.locator('a[href="#employment_status-0"]')).to_have_text(
            "Choose what best describes your work today")
        expect(summary.locator('a[href="#attestation"]')).to_be_visible()
        expect(summary.locator('a[href="#first_name"]')).to_have_count(0)

        # Each error also sits at its field, and the field says so to screen readers.
        expect(page.locator("#last_name-error")).to_contain_text("Enter your last name")
        expect(page.get_by_label("Last name", exact=True)).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#email")).to_have_attribute("aria-describedby", "email-hint email-error")
        expect(page.locator("#attestation-error")).to_contain_text("Confirm that your answers are true")

        # What was typed is still there.
        expect(page.get_by_label("First name", exact=True)).to_have_value("Maria")
        expect(page.locator("#first_name-error")).to_have_count(0)
        _screenshot(page, "signup-en-errors-no-js.png")
    finally:
        context.close()


def _violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


def _sideways_scrolling(page) -> list[str]:
    """WCAG 1.4.10 (reflow): nothing on a phone-wide page should need scrolling sideways."""
    wide, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return [f"page is {wide}px wide in a {viewport}px window"] if wide > viewport else []


def _serious(violations: list[dict]) -> list[str]:
    return [f'{v["impact"]} {v["id"]}: {v["help"]} at {v["targets"]}'
            for v in violations if v["impact"] in ("serious", "critical")]


def _submit_empty_signup(page, live_server) -> None:
    page.goto(f"{live_server}/en/signup")
    page.get_by_role("button", name="Send my request").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()


def test_pages_have_no_accessibility_violations(live_server, page, browser, browser_context_args):
    found = {}
    for path in ("/en/", "/es/", "/en/signup", "/es/signup", "/es/status", "/es/join/not-a-token", "/admin/login"):
        page.goto(f"{live_server}{path}")
        found[path] = _serious(_violations(page)) + _sideways_scrolling(page)

    _submit_empty_signup(page, live_server)
    found["/en/signup with errors"] = _serious(_violations(page)) + _sideways_scrolling(page)

    # As a visitor without JavaScript sees it: the page's own script never runs.
    context = browser.new_context(**browser_context_args)
    context.route("**/*.js", lambda route: route.abort())
    try:
        no_script_page = context.new_page()
        _submit_empty_signup(no_script_page, live_server)
        expect(no_script_page.locator("[data-error-summary]")).not_to_be_focused()
        found["/en/signup with errors, without its script"] = _serious(_violations(no_script_page))
    finally:
        context.close()

    problems = {path: violations for path, violations in found.items() if violations}
    assert not problems, "\n".join(f"{path}:\n  " + "\n  ".join(v) for path, v in problems.items())


def test_error_summary_takes_focus(live_server, page):
    _submit_empty_signup(page, live_server)
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()

    summary.locator('a[href="#first_name"]').click()
    expect(page.locator("#first_name")).to_be_focused()


def test_the_bot_trap_is_out_of_sight_out_of_the_tab_order_and_out_of_the_accessibility_tree(live_server, page):
    page.goto(f"{live_server}/en/signup")
    box = page.locator("#website").bounding_box()
    assert box is None or box["x"] + box["width"] <= 0, box
    focused = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        focused.add(page.evaluate("document.activeElement.id"))
    assert "first_name" in focused and "attestation" in focused
    assert "website" not in focused
    expect(page.get_by_role("textbox", name="Leave this field empty")).to_have_count(0)
    expect(page.get_by_role("textbox", name="First name")).to_have_count(1)


def test_without_javascript_sign_up_check_the_request_and_create_the_account(app, live_server, browser,
                                                                              browser_context_args, run_jobs):
    """The whole way with JavaScript off, on a phone: the layoff question still appears only after
    "I am working" (CSS alone), the status page finds the request, and its button leads on to the
    provider through the join page."""
    from portal.models import RequestState, SignupRequest
    from portal.programs import current_program

    email = "jose.hernandez@example.com"
    with app.app_context():
        provider_url = current_program().provider_join_url
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    context.route(re.compile(r"https://www\.coursera\.org/.*"),
                  lambda route: route.fulfill(body="<title>Provider</title>", content_type="text/html"))
    page = context.new_page()
    try:
        page.goto(f"{live_server}/en/signup")
        page.get_by_label("First name", exact=True).fill("José")
        page.get_by_label("Last name", exact=True).fill("Hernández")
        page.get_by_label("Email address", exact=True).fill(email)
        page.get_by_label("ZIP code", exact=True).fill("12207")
        layoff_question = page.get_by_text("Has your employer told you in writing that your job will end?")
        expect(layoff_question).to_be_hidden()
        _choose(page, "employment_status-5")  # "I am working"
        expect(layoff_question).to_be_visible()
        _choose(page, "layoff_notice-0")  # yes
        _choose(page, "agency_staff-1")  # no
        _choose(page, "attestation")
        _screenshot(page, "signup-en-no-js-working.png")
        page.get_by_role("button", name="Send my request").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("We got your request")

        run_jobs()
        with app.app_context():
            reference = SignupRequest.query.filter_by(email=email).one().reference_code
        page.goto(f"{live_server}/en/status")
        page.get_by_label("Reference code", exact=True).fill(reference)
        page.get_by_label("Email address", exact=True).fill(email)
        page.get_by_role("button", name="Check my request").click()
        expect(page).to_have_title(re.compile(r"^Your invitation is ready"))
        page.get_by_role("link", name="Create my Coursera account").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("José")
        page.get_by_role("button", name="Create my Coursera account").click()
        expect(page).to_have_url(provider_url)
        with app.app_context():
            assert SignupRequest.query.filter_by(email=email).one().state == RequestState.ENROLLED
    finally:
        context.close()
