"""Every page, in both languages, at 320, 390 and 1280 px: no sideways scrolling (WCAG 1.4.10,
reflow) and nothing axe finds, with a 49-character email address on the pages that show one.

Full-page screenshots at 320 px go to test-results/ (reflow-<language>-<page>.png).
"""

import mailbox
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
import time_machine
from playwright.sync_api import expect

from portal.admin.queries import WORK_QUEUES
from portal.exports import export_provider_file
from portal.links import join_token
from portal.models import SignupRequest, StaffRole
from portal.programs import current_program
from tests.browser.test_signup_browser import AXE, RUN_AXE, SCREENSHOTS, _sideways_scrolling
from tests.factories import STAFF_PASSWORD, make_invited_signup, make_signup, make_staff
from tests.test_errors import failing_app  # noqa: F401  (a fixture: the app with routes that fail)

pytestmark = pytest.mark.browser

WIDTHS = (320, 390, 1280)
LONG_EMAIL = "mariafernanda.gonzalezrodriguez@correoejemplo.com"  # no hyphen to break at
STAFF_EMAIL = "helpdesk.supervisor.region-nine@labor.example.gov"
LOCALES = {"en": "en-US", "es": "es-US"}


def _problems_at_every_width(page, name: str) -> list[str]:
    """Reflow and axe at each width; then a full-page screenshot at 320 px."""
    page.add_script_tag(path=str(AXE))
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        problems += [f"{width}px: {problem}" for problem in _sideways_scrolling(page)]
        problems += [f'{width}px: {v["impact"]} {v["id"]}: {v["help"]} at {v["targets"]}'
                     for v in page.evaluate(RUN_AXE)]
    page.set_viewport_size({"width": 320, "height": 800})
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"reflow-{name}.png"), full_page=True)
    return problems


def _sign_up(page, live_server: str, language: str, email: str) -> None:
    page.goto(f"{live_server}/{language}/signup")
    page.fill("#first_name", "María Fernanda")
    page.fill("#last_name", "González Rodríguez")
    page.fill("#email", email)
    page.fill("#zip_code", "12207")
    # "I am working", then the layoff question it brings up: yes.
    for choice in ("employment_status-5", "layoff_notice-0", "covid_related-0", "agency_staff-1", "attestation"):
        page.locator(f'label[for="{choice}"]').click()
    page.locator("button[type=submit]").click()


@contextmanager
def _checking_pages(browser, language: str, name_prefix: str):
    """A browser tab in `language` and `check(name)`, which checks the page it shows; at the end,
    fails listing every page's problems."""
    context = browser.new_context(locale=LOCALES[language], bypass_csp=True)  # to inject axe
    page = context.new_page()
    found = {}

    def check(name: str) -> None:
        found[name] = _problems_at_every_width(page, f"{name_prefix}-{name}")

    try:
        yield page, check
    finally:
        context.close()
    problems = {name: items for name, items in found.items() if items}
    assert not problems, "\n".join(f"{name}:\n  " + "\n  ".join(items) for name, items in problems.items())


def _check_form_and_its_errors(page, check, url: str, name: str, submit: str = "main button[type=submit]") -> None:
    """Check the form at `url` as `name`; send it empty and check the page of errors as `name`-errors."""
    page.goto(url)
    check(name)
    page.locator(submit).click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    check(f"{name}-errors")


@pytest.mark.parametrize("language", ["en", "es"])
def test_public_pages_reflow_and_pass_axe(app, live_server, browser, run_jobs, language):
    with _checking_pages(browser, language, language) as (page, check):
        page.goto(f"{live_server}/{language}/")
        check("home")
        _check_form_and_its_errors(page, check, f"{live_server}/{language}/signup", "signup",
                                   submit="button[type=submit]")

        _sign_up(page, live_server, language, LONG_EMAIL)
        expect(page.locator("main")).to_contain_text(LONG_EMAIL)
        check("received")
        with app.app_context():  # the page never shows the code (no oracle): the email does
            reference = SignupRequest.query.filter_by(email=LONG_EMAIL).one().reference_code

        _sign_up(page, live_server, language, LONG_EMAIL)  # a second time: the same answer page
        expect(page.locator("main")).to_contain_text(LONG_EMAIL)
        check("already-signed-up")

        _check_form_and_its_errors(page, check, f"{live_server}/{language}/status", "status",
                                   submit="button[type=submit]")

        run_jobs()  # the invitation
        page.goto(f"{live_server}/{language}/status")
        page.fill("#reference_code", reference)
        page.fill("#email", LONG_EMAIL)
        page.locator("button[type=submit]").click()
        expect(page.locator("main")).to_contain_text(reference)
        check("status-invited")

        with app.app_context():
            page.goto(f"{live_server}/{language}/join/{join_token(reference)}")
        expect(page.locator("main form button")).to_be_visible()
        check("join")
        page.goto(f"{live_server}/{language}/join/not-a-token")
        check("join-closed")

        for name in ("help", "privacy", "accessibility"):
            page.goto(f"{live_server}/{language}/{name}")
            expect(page.locator("footer")).to_contain_text("518-555-0142")
            check(name)

        with app.app_context():
            after_issuing = current_program().issue_by + timedelta(days=2)
        with time_machine.travel(datetime(after_issuing.year, after_issuing.month, after_issuing.day, 15, tzinfo=UTC)):
            page.goto(f"{live_server}/{language}/")
            check("home-closed")
            page.goto(f"{live_server}/{language}/signup")
            check("closed")


@pytest.mark.parametrize("language", ["en", "es"])
def test_staff_pages_reflow_and_pass_axe(app, live_server, browser, tmp_path, language):
    with app.app_context():
        make_staff(STAFF_EMAIL, StaffRole.ADMIN)
        stale = make_signup(email=LONG_EMAIL, age=timedelta(days=3)).reference_code
        make_signup(email="jose.luis.hernandez-castillo@correo-example.com")
        invited = make_invited_signup(email="ana.sofia.martinez-villalobos@correo-example.com")
        export_provider_file(invited.invited_at.date())
        invited_code = invited.reference_code
    app.config["MAIL_SINK_DIR"] = str(tmp_path / "maildir")
    message = EmailMessage()
    message["To"], message["Subject"] = LONG_EMAIL, "Your free access to Coursera is ready"
    message.set_content(f"Join here: http://portal.test/{language}/join/{'Ab3' * 50}\n")
    mailbox.Maildir(app.config["MAIL_SINK_DIR"], create=True).add(message)

    with _checking_pages(browser, language, f"{language}-staff") as (page, check):
        page.goto(f"{live_server}/admin/login")
        check("login")
        page.fill("#email", STAFF_EMAIL)
        page.fill("#password", "not the password")
        page.locator("main button[type=submit]").click()
        expect(page.locator("[data-error-summary]")).to_be_visible()
        check("login-failed")
        page.fill("#password", STAFF_PASSWORD)
        page.locator("main button[type=submit]").click()
        expect(page.locator("#q")).to_be_visible()
        check("queue")
        for slug in WORK_QUEUES:
            page.goto(f"{live_server}/admin/queues/{slug}")
            check(f"queue-{slug}")
        page.goto(f"{live_server}/admin/requests?q=hernandez")
        check("search")
        page.goto(f"{live_server}/admin/requests?q=&signed_up_from=2026-13-45")
        check("search-errors")
        page.goto(f"{live_server}/admin/requests/{stale}")
        check("request")
        for action in ("deny", "correct-email", "withdraw"):
            page.goto(f"{live_server}/admin/requests/{stale}/{action}")
            check(f"confirm-{action}")
        page.goto(f"{live_server}/admin/requests/{stale}/deny")
        page.locator("main button[type=submit]").click()  # no reason chosen: the form again, with errors
        expect(page.locator("[data-error-summary]")).to_be_visible()
        check("confirm-deny-errors")
        page.goto(f"{live_server}/admin/requests/{invited_code}/remove")
        check("confirm-remove")
        _check_form_and_its_errors(page, check, f"{live_server}/admin/signups/new", "staff-signup")
        page.goto(f"{live_server}/admin/exports")
        check("exports")
        page.goto(f"{live_server}/admin/dev/mail")
        check("dev-mail")


@pytest.mark.usefixtures("failing_app")  # the app's routes under /<language>/failing/<code>
@pytest.mark.parametrize("language", ["en", "es"])
def test_error_pages_reflow_and_pass_axe(live_server, browser, language):
    """Every error page the portal shows: its own, in the language of the address, with the footer."""
    with _checking_pages(browser, language, f"{language}-error") as (page, check):
        for code in (400, 404, 410, 429, 500, 503):
            path = f"/{language}/no-such-page" if code == 404 else f"/{language}/failing/{code}"
            response = page.goto(f"{live_server}{path}")
            assert response.status == code
            expect(page.locator("footer a[href$='/privacy']")).to_be_visible()
            check(str(code))
        response = page.goto(f"{live_server}/{language}/join/not-a-token")  # the join link's own page
        assert response.status == 404
        check("join-invalid")
