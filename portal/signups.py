"""Sign-up requests: creating them, and finding an applicant's own."""

import logging
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from portal import outbox, queue
from portal.clock import program_today
from portal.eligibility import Decision, Outcome, decide_eligibility
from portal.extensions import db
from portal.identifiers import (
    mailbox_key,
    new_reference_code,
    normalize_case_id,
    normalize_email,
    normalize_reference_code,
)
from portal.lifecycle import record_state_change
from portal.models import CLOSED_STATES, OutboundEmail, RequestState, SignupRequest, StaffUser, utcnow
from portal.outbox import queue_email
from portal.programs import Program, current_program
from portal.seat_guard import SEAT_GUARD_HOLD, seat_guard_hold_note

log = logging.getLogger(__name__)

#: The owner of an address someone signs up with again hears about it at most this often.
ALREADY_SIGNED_UP_INTERVAL = timedelta(hours=6)


class DuplicateSignup(Exception):
    """This mailbox already has an open request in this program."""

    def __init__(self, request_id: int):
        super().__init__(request_id)
        self.request_id = request_id


@dataclass(frozen=True)
class Hold:
    """Why a request the rules approve must wait for a person: a code, and a note for staff."""

    code: str
    note: str
    actor: str


#: Why a request waits for staff although the rules approve it, in words for staff.
HOLD_REASONS = {
    SEAT_GUARD_HOLD: _l("The seat guard: sign-ups were arriving far faster than usual when this one came, possibly "
                   "from a script. Check that it is a real person before approving."),
    "bot_check": _l("The bot check: the form came back faster than a person fills it in, or with a hidden field "
                    "filled in (the history says which). Check that it is a real person before approving."),
}


@dataclass(frozen=True)
class Receipt:
    """What the answer to a public sign-up may show: the address it was sent for and what the
    answers themselves decide. The same whether or not the address already had a request."""

    email: str
    outcome: Outcome
    reason: str


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


def submit_signup(answers: SignupAnswers, hold: Hold | None = None) -> Receipt:
    """The public form's sign-up. It answers the same whether or not the mailbox already has an
    open request, so the form cannot be used to find out who applied; the owner of such a mailbox
    gets an email with their code and status instead (at most every ALREADY_SIGNED_UP_INTERVAL)."""
    decision = decide_answers(current_program(), answers)
    try:
        create_signup(answers, hold=hold)
    except DuplicateSignup as duplicate:
        tell_owner_of_open_request(duplicate.request_id)
    return Receipt(email=normalize_email(answers.email), outcome=decision.outcome, reason=decision.reason)


def decide_answers(program: Program, answers: SignupAnswers) -> Decision:
    """What the answers alone decide: the program's rules, or closed after its issue-by date."""
    if not program.issues_licenses_on(program_today()):
        return Decision(Outcome.DENIED, "program_closed")
    return decide_eligibility(
        program.eligibility,
        employment_status=answers.employment_status,
        layoff_notice=answers.layoff_notice,
        agency_staff=answers.agency_staff,
    )


def create_signup(answers: SignupAnswers, hold: Hold | None = None, entered_by: StaffUser | None = None
                  ) -> SignupRequest:
    """Save a sign-up with its eligibility decision, then hand activation to the queue.

    The row is committed before anything is enqueued: if Redis is down the sign-up still stands and
    the periodic sweep enqueues it later. An approved request's confirmation is sent by its
    activation job, with the invitation; any other email goes to RQ on commit (portal.outbox). A
    request the rules approve waits for staff instead when `hold` says so, or while the seat guard
    is on (a sign-up staff enter for a customer is never taken for a script). `entered_by`: the staff
    member who entered it for the customer, who gave them the attestation.
    Raises DuplicateSignup when the mailbox already has an open request.
    """
    program = current_program()
    email = normalize_email(answers.email)
    decision = decide_answers(program, answers)
    if decision.outcome == Outcome.APPROVED and hold is None and entered_by is None:
        note = seat_guard_hold_note(program)
        hold = Hold(SEAT_GUARD_HOLD, note, "seat guard") if note else None
    goes_to_activation = decision.outcome == Outcome.APPROVED and hold is None
    with outbox.held_from_queue() if goes_to_activation else nullcontext():
        signup, signup_id = _save_new_signup(answers, email, program, decision, hold, entered_by)
    if goes_to_activation:  # approved (the id was kept: reading the committed row again costs a query)
        queue.enqueue_activation(signup_id)
    return signup


def _save_new_signup(answers: SignupAnswers, email: str, program: Program, decision: Decision, hold: Hold | None,
                     entered_by: StaffUser | None) -> tuple[SignupRequest, int]:
    """Commit the new request; it and its id. The unique index of open requests per mailbox finds a
    duplicate (no query first: the insert is the check, also against a second sign-up at the same moment)."""
    for _attempt in range(5):
        signup = _build_signup(answers, email, program, decision, hold, entered_by)
        try:
            db.session.flush()
            signup_id = signup.id
            db.session.commit()
            return signup, signup_id
        except IntegrityError:
            db.session.rollback()
            existing = open_request_for_email(program.code, email)
            if existing is not None:
                raise DuplicateSignup(existing.id) from None
            log.warning("Reference code collision; drawing another")  # one in 10^12: retry
    raise RuntimeError("Could not draw a free reference code")  # pragma: no cover - the alphabet is broken


def tell_owner_of_open_request(request_id: int) -> bool:
    """Email the owner of an open request their code and status, because someone signed up with
    their address again; False if they were told less than ALREADY_SIGNED_UP_INTERVAL ago.

    The idempotency key counts these emails, so two sign-ups at once queue one (the second insert
    hits the unique key) and a flood of sign-ups sends one email per interval, not a mailbox full.
    """
    signup = db.session.get(SignupRequest, request_id)
    told = db.session.scalars(
        select(OutboundEmail.created_at).where(OutboundEmail.request_id == request_id,
                                               OutboundEmail.kind == "already_signed_up")
        .order_by(OutboundEmail.id)
    ).all()
    if told and told[-1] > utcnow() - ALREADY_SIGNED_UP_INTERVAL:
        return False
    queue_email(signup, "already_signed_up", occasion=str(len(told)))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def _build_signup(answers: SignupAnswers, email: str, program: Program, decision: Decision,
                  hold: Hold | None, entered_by: StaffUser | None) -> SignupRequest:
    signup = SignupRequest(
        reference_code=new_reference_code(),
        program=program.code,
        first_name=answers.first_name.strip(),
        last_name=answers.last_name.strip(),
        email=email,
        phone=answers.phone or None,
        zip_code=answers.zip_code,
        preferred_language=answers.preferred_language,
        employment_status=answers.employment_status,
        covid_related=answers.covid_related,
        layoff_notice=answers.layoff_notice,
        case_id=normalize_case_id(answers.case_id),
        agency_staff=answers.agency_staff,
        attested_at=utcnow(),
        decision_reason=decision.reason,
        local_area=program.area_for_zip(answers.zip_code),
        entered_by=entered_by,
    )
    db.session.add(signup)
    if entered_by is None:
        record_state_change(signup, RequestState.SUBMITTED, actor="applicant")
    else:
        record_state_change(signup, RequestState.SUBMITTED, actor="staff", staff=entered_by,
                            reason="entered by staff for the customer, who gave them the attestation")
    if hold is not None and decision.outcome == Outcome.APPROVED:
        signup.hold_reason = hold.code
        record_state_change(signup, RequestState.NEEDS_REVIEW, actor=hold.actor,
                            reason=f"The rules approve it ({decision.reason}), but it waits for a person. {hold.note}")
    else:
        record_state_change(signup, RequestState(decision.outcome), actor="eligibility rules",
                            reason=decision.reason)
    if decision.outcome == Outcome.DENIED:
        queue_email(signup, "not_eligible")
    else:
        queue_email(signup, "confirmation")
    return signup


#: What a new request of the same person keeps from an earlier one.
_ANSWER_COLUMNS = ("program", "first_name", "last_name", "email", "phone", "zip_code", "preferred_language",
                   "employment_status", "covid_related", "layoff_notice", "case_id", "agency_staff",
                   "decision_reason", "local_area")


def new_request_like(earlier: SignupRequest, *, entered_by: StaffUser) -> SignupRequest:
    """A new request with the answers of an earlier one, entered by staff (a re-enrolment), added to
    the session as submitted; the caller decides what comes next."""
    signup = SignupRequest(reference_code=new_reference_code(), attested_at=earlier.attested_at, entered_by=entered_by,
                           **{name: getattr(earlier, name) for name in _ANSWER_COLUMNS})
    db.session.add(signup)
    record_state_change(signup, RequestState.SUBMITTED, actor="staff", staff=entered_by,
                        reason=f"re-enrolment of {earlier.reference_code}, with its answers")
    return signup


def open_request_for_email(program_code: str, email: str) -> SignupRequest | None:
    """The open request of this mailbox (however the address is written), if it has one."""
    return db.session.scalar(
        select(SignupRequest).where(
            SignupRequest.program == program_code,
            SignupRequest.email_key == mailbox_key(email),
            SignupRequest.state.not_in(CLOSED_STATES),
        )
    )


def find_request(reference_code: str, email: str) -> SignupRequest | None:
    """An applicant's own request: both the code and the mailbox must match."""
    return db.session.scalar(
        select(SignupRequest).where(
            SignupRequest.reference_code == normalize_reference_code(reference_code),
            SignupRequest.email_key == mailbox_key(email),
        )
    )


def find_by_reference(reference_code: str) -> SignupRequest | None:
    return db.session.scalar(
        select(SignupRequest).where(SignupRequest.reference_code == normalize_reference_code(reference_code))
    )


#: States in which a request still waits for its answer (invitation, waitlist or denial) under the promise.
AWAITING_ANSWER = (RequestState.SUBMITTED, RequestState.APPROVED, RequestState.NEEDS_REVIEW)


def past_the_promise(signup: SignupRequest) -> bool:
    """Still waiting for its answer after ACTIVATION_SLA_HOURS: the status page says so, and staff
    see it among the stale requests."""
    promise = timedelta(hours=current_app.config["ACTIVATION_SLA_HOURS"])
    return signup.state in AWAITING_ANSWER and signup.created_at < utcnow() - promise


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
