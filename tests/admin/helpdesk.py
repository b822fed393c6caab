"""Driving the help desk as a staff member's browser does: open a request's page, send an action's
form with the token and version the page carried, and read what the database then holds."""

import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, RequestEvent, SignupRequest
from portal.outbox import queue_email
from portal.signups import Hold, create_signup
from tests.conftest import CSRF_PATTERN
from tests.factories import make_invited_signup, signup_answers

VERSION_PATTERN = re.compile(r'name="version" (?:type="hidden" )?value="(-?\d+)"')


def page_fields(client, url: str) -> dict:
    """The CSRF token and the version a request's page (or an action's page) carries."""
    page = client.get(url).get_data(as_text=True)
    csrf = CSRF_PATTERN.search(page)
    version = VERSION_PATTERN.search(page)
    assert csrf and version, f"no action form on {url}"
    return {"csrf_token": csrf.group(1) or csrf.group(2), "version": version.group(1)}


def act(client, code: str, action: str, data: dict | None = None, *, fields_from: str | None = None):
    """Send the form of `action` on request `code` as the page showed it; the response (a redirect)."""
    fields = page_fields(client, fields_from or f"/admin/requests/{code}")
    return client.post(f"/admin/requests/{code}/{action}", data={**fields, **(data or {})})


def follow(client, response) -> str:
    """The page a redirect leads to (with the message the action flashed)."""
    assert response.status_code in (302, 303), response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def held_for_review(**answers) -> SignupRequest:
    """A request the rules approve that the bot check held for a person to decide."""
    return create_signup(signup_answers(**answers), hold=Hold("bot_check", "filled in 1 s", "bot check"))


def refused_reminder(smtp, run_jobs, email: str, reply: str) -> SignupRequest:
    """An invited request whose reminder the mail server refused with `reply`."""
    signup = make_invited_signup(email=email)
    run_jobs()
    smtp.refuse_next(reply)
    queue_email(signup, "reminder_not_accepted", occasion="day3")
    db.session.commit()
    run_jobs()
    return signup


def reload(signup: SignupRequest) -> SignupRequest:
    return db.session.get(SignupRequest, signup.id, populate_existing=True)


def audit_rows(signup: SignupRequest) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.request_id == signup.id)
                                   .order_by(AuditEvent.id)))


def counts(signup: SignupRequest) -> tuple:
    """What a refused action must leave as it was."""
    signup = reload(signup)
    events = db.session.scalar(select(func.count()).select_from(RequestEvent)
                               .where(RequestEvent.request_id == signup.id))
    audits = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.request_id == signup.id))
    return signup.state, signup.email, signup.preferred_language, signup.holds_seat, events, audits, len(signup.emails)
