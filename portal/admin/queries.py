"""What help-desk staff look for: work queues and search over the requests."""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select

from portal.extensions import db
from portal.identifiers import normalize_reference_code
from portal.models import PENDING_STATES, EmailStatus, OutboundEmail, RequestState, SignupRequest, StaffUser, utcnow


def activation_deadline(now: datetime | None = None) -> datetime:
    """Requests created before this moment and still pending have broken the promise."""
    return (now or utcnow()) - timedelta(hours=current_app.config["ACTIVATION_SLA_HOURS"])


def _search_query(search: str | None):
    """Requests matching what staff typed: a reference code, part of an email, or part of a name."""
    query = select(SignupRequest)
    if search:
        term = search.strip()
        pattern = f"%{term.lower()}%"
        query = query.where(
            or_(
                SignupRequest.reference_code == normalize_reference_code(term),
                SignupRequest.email.like(pattern),
                func.lower(SignupRequest.first_name + " " + SignupRequest.last_name).like(pattern),
            )
        )
    return query


def stale_requests(search: str | None = None, limit: int = 200) -> list[SignupRequest]:
    """Pending past the activation promise, or failed: newest problems first."""
    query = _search_query(search).where(
        SignupRequest.state.in_(PENDING_STATES),
        or_(SignupRequest.state == RequestState.FAILED, SignupRequest.created_at < activation_deadline()),
    )
    return list(db.session.scalars(query.order_by(SignupRequest.created_at.desc()).limit(limit)))


def pending_requests(search: str | None = None, limit: int = 200) -> list[SignupRequest]:
    """Pending and still within the promise, newest first."""
    query = _search_query(search).where(
        SignupRequest.state.in_(PENDING_STATES),
        SignupRequest.state != RequestState.FAILED,
        SignupRequest.created_at >= activation_deadline(),
    )
    return list(db.session.scalars(query.order_by(SignupRequest.created_at.desc()).limit(limit)))


def undelivered_emails(search: str | None = None, limit: int = 200) -> list[OutboundEmail]:
    """Emails the relay refused for good, or that were lost mid-send, newest first.

    A failed invitation also fails its request (it shows as stale); a failed reminder or notice
    leaves the request as it is, so this list is where staff see those.
    """
    query = (
        select(OutboundEmail)
        .join(SignupRequest)
        .where(OutboundEmail.status == EmailStatus.FAILED)
        .order_by(OutboundEmail.last_attempt_at.desc(), OutboundEmail.id.desc())
        .limit(limit)
    )
    if search:
        query = query.where(OutboundEmail.request_id.in_(_search_query(search).with_only_columns(SignupRequest.id)))
    return list(db.session.scalars(query))


def count_requests_by_state() -> dict[str, int]:
    rows = db.session.execute(select(SignupRequest.state, func.count()).group_by(SignupRequest.state))
    return {state: count for state, count in rows}


def request_for_staff(reference_code: str, staff: StaffUser) -> SignupRequest | None:
    """The request with this code, if this staff member may see it (None: the page answers 404).

    The one door to a request for every staff page and action, so that whatever limits a staff
    member (local areas) is decided here once.
    """
    return db.session.scalar(
        select(SignupRequest).where(SignupRequest.reference_code == normalize_reference_code(reference_code))
    )
