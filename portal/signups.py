"""Sign-up requests: creating them, their history, and the queries staff and applicants use."""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from portal import notifications, queue
from portal.clock import program_today
from portal.eligibility import Decision, Outcome, decide_eligibility
from portal.extensions import db
from portal.models import (
    CLOSED_STATES,
    PENDING_STATES,
    EmailStatus,
    OutboundEmail,
    RequestEvent,
    RequestState,
    SignupRequest,
    StaffUser,
    utcnow,
)
from portal.programs import current_program

log = logging.getLogger(__name__)

#: Crockford's base32 without I, L, O and U: nothing to mishear or misread on the phone.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


class DuplicateSignup(Exception):
    """This email address already has an open request in this program."""


@dataclass(frozen=True)
class SignupAnswers:
    first_name: str
    last_name: str
    email: str
    phone: str | None
    zip_code: str
    preferred_language: str
    employment_status: str
    covid_related: str
    layoff_notice: bool
    case_id: str | None
    agency_staff: bool


def new_reference_code() -> str:
    """Eight characters in two groups of four (about 10^12 codes), e.g. "K7MQ-4X2P"."""
    characters = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{characters[:4]}-{characters[4:]}"


def normalize_reference_code(typed: str) -> str:
    """What a person typed or read out, in the form we store: "k7mq 4x2p" → "K7MQ-4X2P"."""
    characters = "".join(ch for ch in typed.upper() if ch.isalnum()).translate(_READ_ALIKES)
    return f"{characters[:4]}-{characters[4:]}" if len(characters) == 8 else characters


def normalize_email(email: str) -> str:
    return email.strip().lower()


def record_state_change(
    signup: SignupRequest,
    new_state: RequestState,
    *,
    actor: str,
    reason: str | None = None,
    staff: StaffUser | None = None,
) -> None:
    """Move a request to a new state and write the row of history that says who and why."""
    signup.events.append(
        RequestEvent(from_state=signup.state, to_state=new_state, actor=actor, reason=reason, staff=staff)
    )
    signup.state = new_state


def claim_request(request_id: int, expected_state: str) -> bool:
    """Lock a request for this transaction if it is still in `expected_state`.

    On PostgreSQL a second claimer waits for our commit, then re-reads the state and finds it
    changed; on SQLite the write lock does the same. So of two workers (or a job delivered twice)
    only one acts.
    """
    return bool(
        db.session.execute(
            update(SignupRequest)
            .where(SignupRequest.id == request_id, SignupRequest.state == expected_state)
            .values(updated_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def create_signup(answers: SignupAnswers) -> SignupRequest:
    """Save a sign-up with its eligibility decision, then hand activation to the queue.

    The row is committed before anything is enqueued (its email goes to RQ on commit): if Redis is
    down the sign-up still stands and the periodic sweep enqueues it later.
    """
    program = current_program()
    email = normalize_email(answers.email)
    if open_request_for_email(program.code, email) is not None:
        raise DuplicateSignup(email)
    if not program.issues_licenses_on(program_today()):
        decision = Decision(Outcome.DENIED, "program_closed")
    else:
        decision = decide_eligibility(
            program.eligibility,
            employment_status=answers.employment_status,
            layoff_notice=answers.layoff_notice,
            agency_staff=answers.agency_staff,
        )
    for _attempt in range(5):
        signup = _build_signup(answers, email, program.code, decision)
        try:
            db.session.commit()
            break
        except IntegrityError:
            db.session.rollback()
            if open_request_for_email(program.code, email) is not None:
                raise DuplicateSignup(email) from None
            log.warning("Reference code collision; drawing another")  # one in 10^12: retry
    else:  # pragma: no cover - five collisions in a row means the alphabet is broken
        raise RuntimeError("Could not draw a free reference code")

    if signup.state == RequestState.APPROVED:
        queue.enqueue_activation(signup.id)
    return signup


def _build_signup(answers: SignupAnswers, email: str, program_code: str, decision: Decision) -> SignupRequest:
    signup = SignupRequest(
        reference_code=new_reference_code(),
        program=program_code,
        first_name=answers.first_name.strip(),
        last_name=answers.last_name.strip(),
        email=email,
        phone=answers.phone or None,
        zip_code=answers.zip_code,
        preferred_language=answers.preferred_language,
        employment_status=answers.employment_status,
        covid_related=answers.covid_related,
        layoff_notice=answers.layoff_notice,
        case_id=answers.case_id or None,
        agency_staff=answers.agency_staff,
        attested_at=utcnow(),
        decision_reason=decision.reason,
    )
    db.session.add(signup)
    record_state_change(signup, RequestState.SUBMITTED, actor="applicant")
    record_state_change(signup, RequestState(decision.outcome), actor="eligibility rules", reason=decision.reason)
    if decision.outcome == Outcome.DENIED:
        notifications.queue_email(signup, "not_eligible")
    else:
        notifications.queue_email(signup, "confirmation")
    return signup


def open_request_for_email(program_code: str, email: str) -> SignupRequest | None:
    return db.session.scalar(
        select(SignupRequest).where(
            SignupRequest.program == program_code,
            SignupRequest.email == normalize_email(email),
            SignupRequest.state.not_in(CLOSED_STATES),
        )
    )


def find_request(reference_code: str, email: str) -> SignupRequest | None:
    """An applicant's own request: both the code and the email must match."""
    return db.session.scalar(
        select(SignupRequest).where(
            SignupRequest.reference_code == normalize_reference_code(reference_code),
            SignupRequest.email == normalize_email(email),
        )
    )


def find_by_reference(reference_code: str) -> SignupRequest | None:
    return db.session.scalar(
        select(SignupRequest).where(SignupRequest.reference_code == normalize_reference_code(reference_code))
    )


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


def waitlist_position(signup: SignupRequest) -> int:
    """Where a waiting request stands in line (1 = next to get a seat): first come, first served."""
    ahead = db.session.scalar(
        select(func.count()).select_from(SignupRequest).where(
            SignupRequest.program == signup.program,
            SignupRequest.state == RequestState.WAITLISTED,
            or_(
                SignupRequest.created_at < signup.created_at,
                (SignupRequest.created_at == signup.created_at) & (SignupRequest.id < signup.id),
            ),
        )
    )
    return ahead + 1


def count_requests_by_state() -> dict[str, int]:
    rows = db.session.execute(select(SignupRequest.state, func.count()).group_by(SignupRequest.state))
    return {state: count for state, count in rows}
