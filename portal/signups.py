"""Sign-up requests: creating them, and finding an applicant's own."""

import logging
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from portal import queue
from portal.clock import program_today
from portal.eligibility import Decision, Outcome, decide_eligibility
from portal.extensions import db
from portal.identifiers import new_reference_code, normalize_email, normalize_reference_code
from portal.lifecycle import record_state_change
from portal.models import CLOSED_STATES, RequestState, SignupRequest, utcnow
from portal.outbox import queue_email
from portal.programs import current_program

log = logging.getLogger(__name__)

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
        queue_email(signup, "not_eligible")
    else:
        queue_email(signup, "confirmation")
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
