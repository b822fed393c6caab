""""I signed up and never heard back": a help-desk member, in a browser, finds the caller by the part
of the address they read out, sees the mail server's 550, corrects the address, and the invitation
reaches the SMTP server at the new one. Every page on the way passes axe."""

import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import RequestState, SignupRequest
from tests.browser.test_signup_browser import _screenshot, _serious, _sideways_scrolling, _violations
from tests.factories import STAFF_PASSWORD, make_signup, make_staff
from tests.smtp import email_kind

pytestmark = pytest.mark.browser

MISTYPED = "rosa.quintanilla@gmial.com"
CORRECTED = "rosa.quintanilla@gmail.com"
REFUSAL = "550 5.1.1 <rosa.quintanilla@gmial.com>: Recipient address rejected: User unknown"


def _accessible(page, name: str) -> None:
    assert _serious(_violations(page)) + _sideways_scrolling(page) == [], name
    _screenshot(page, f"help-desk-{name}.png")


def test_help_desk_finds_a_caller_by_an_email_fragment_and_corrects_the_refused_address(
        app, live_server, page, smtp, run_jobs):
    with app.app_context():
        make_staff("desk@agency.example.gov")
        make_signup(email="rosa.quintero@example.com", first_name="Rosa", last_name="Quintero")
    run_jobs()
    with app.app_context():
        reference = make_signup(email=MISTYPED, first_name="Rosa", last_name="Quintanilla Ávila").reference_code
    smtp.refuse_next(REFUSAL)  # the confirmation
    smtp.refuse_next(REFUSAL)  # the invitation
    run_jobs()
    with app.app_context():
        assert db.session.scalar(db.select(SignupRequest.state).filter_by(reference_code=reference)) == "failed"

    page.goto(f"{live_server}/admin/login")
    page.get_by_label("Email").fill("desk@agency.example.gov")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # The caller reads out part of the address they typed: "quintanilla at gmial".
    page.get_by_role("searchbox").fill("quintanilla@gmi")
    page.get_by_role("button", name="Search").click()
    _accessible(page, "search")
    page.get_by_role("link", name=re.compile(reference)).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Rosa Quintanilla Ávila")
    expect(page.locator("main")).to_contain_text(REFUSAL)
    _accessible(page, "request-failed")

    page.get_by_role("link", name="Correct the email address").click()
    page.get_by_label("The right email address").fill(CORRECTED)
    page.get_by_label(re.compile("Note")).fill("Caller spelled it out: gmail, not gmial.")
    _accessible(page, "correct-email")
    page.get_by_role("button", name="Save the new address").click()

    expect(page.locator(".usa-alert--success")).to_contain_text(CORRECTED)
    run_jobs()
    invitations = [message for message in smtp.messages_to(CORRECTED) if email_kind(message) == "invitation"]
    assert len(invitations) == 1
    with app.app_context():
        signup = db.session.scalar(db.select(SignupRequest).filter_by(reference_code=reference))
        assert (signup.email, signup.state) == (CORRECTED, RequestState.INVITED)
    page.reload()
    expect(page.locator("main")).to_contain_text(MISTYPED)  # the old address stays in the timeline
    _accessible(page, "request-corrected")
