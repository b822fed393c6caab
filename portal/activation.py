"""Activation: seats, invitations, the waitlist and removals.

Seats move in four ways, each in one database transaction with the request's state change, its
history row and its email:
- `activate_request`: an approved request takes a free seat and is invited, or joins the waitlist;
- `return_seat`: a request giving its seat back (removal, a denial by staff) hands it straight to the
  oldest waiting request, so the waitlist is first come, first served;
- `promote_waitlist`: seats that are free while people wait (the cap was raised) go to the oldest
  waiting requests, on a schedule, and before any newcomer's activation takes one;
- `remove_license`: an invited or enrolled person who never joined or stopped learning loses the
  license; the seat goes back as above.

Every claim on a request is a conditional UPDATE on its current state, so two workers (or a job
delivered twice) never both act: the second finds nothing to do.
"""

import enum
import logging

from sqlalchemy import exists, select, update

from portal.clock import program_today
from portal.extensions import db
from portal.lifecycle import claim_request, record_state_change
from portal.models import RequestState, SignupRequest, StaffUser, utcnow
from portal.outbox import queue_email
from portal.programs import Program, current_program
from portal.seats import put_seat_back, seats_left, take_seat

log = logging.getLogger(__name__)

ACTIVATABLE_STATES = (RequestState.APPROVED, RequestState.WAITLISTED)
#: States in which a person holds a license that can be taken back.
LICENSED_STATES = (RequestState.INVITED, RequestState.ENROLLED, RequestState.ACTIVE)


class ActivationResult(enum.StrEnum):
    INVITED = "invited"
    WAITLISTED = "waitlisted"
    PROGRAM_CLOSED = "program closed"
    NOTHING_TO_DO = "nothing to do"


def activate_request(request_id: int, *, actor: str = "activation job") -> ActivationResult:
    """Invite one request if it is still waiting, or put it on the waitlist; safe to call again.

    A crash before the commit leaves the request as it was (the seat UPDATE rolls back with it),
    and the sweep queues it again.
    """
    signup = db.session.get(SignupRequest, request_id, populate_existing=True)  # fresh, not a cached copy
    if signup is None or signup.state not in ACTIVATABLE_STATES:
        return ActivationResult.NOTHING_TO_DO
    previous_state = signup.state
    if not claim_request(request_id, previous_state):
        db.session.rollback()
        return ActivationResult.NOTHING_TO_DO
    result = activate_claimed(signup, actor=actor)
    if result == ActivationResult.NOTHING_TO_DO:
        db.session.rollback()  # still no seat: stay where we were
        return ActivationResult.WAITLISTED
    db.session.commit()
    if result == ActivationResult.INVITED:
        log.info("Invited %s", signup.reference_code)
    return result


def activate_claimed(signup: SignupRequest, *, actor: str, staff: StaffUser | None = None,
                     occasion: str | None = None) -> ActivationResult:
    """The seat logic for a request the caller has claimed (approved, or waiting), in the caller's
    transaction: invited if a seat is free and nobody waits before it, otherwise waitlisted; closed
    after the program's issue-by date. NOTHING_TO_DO: a waiting request that still has no seat.
    `occasion`: this request has been through activation before (staff retrying), so its emails
    need keys of their own."""
    previous_state = signup.state
    program = current_program()
    if not program.issues_licenses_on(program_today()):
        _close(signup, program, actor, staff)
        return ActivationResult.PROGRAM_CLOSED
    if previous_state == RequestState.APPROVED:
        # Whoever waits was first: free seats go to them before the newcomer, in this same
        # transaction, so nobody is told "no seats left" while seats are free.
        _invite_waiting_first(program, actor)
    queue_jumping = previous_state == RequestState.APPROVED and _someone_waiting(program)
    if not queue_jumping and take_seat(program):
        invite(signup, program, actor=actor, staff=staff, occasion=occasion)
        return ActivationResult.INVITED
    if previous_state == RequestState.WAITLISTED:
        return ActivationResult.NOTHING_TO_DO
    record_state_change(signup, RequestState.WAITLISTED, actor=actor, reason="no seats left", staff=staff)
    queue_email(signup, "waitlisted", occasion=occasion)
    return ActivationResult.WAITLISTED


def invite(signup: SignupRequest, program: Program, *, actor: str, reason: str | None = None,
           staff: StaffUser | None = None, occasion: str | None = None) -> None:
    """Give a claimed request its seat and its invitation (the caller has taken the seat).

    `occasion` tells a later invitation of the same request from its first (staff retrying one that
    failed), so the outbox's idempotency key lets it through.
    """
    returning = _was_removed_before(signup)
    signup.holds_seat = True
    signup.invited_at = utcnow()
    signup.enroll_by = program.enroll_by_for(program_today())
    signup.failure_reason = None
    record_state_change(signup, RequestState.INVITED, actor=actor, reason=reason, staff=staff)
    queue_email(signup, "reenrolment" if returning else "invitation", occasion=occasion)


def promote_waitlist(*, actor: str = "waitlist job") -> int:
    """Give free seats to the oldest waiting requests; how many were invited."""
    program = current_program()
    if not program.issues_licenses_on(program_today()):
        return 0
    promoted = 0
    while seats_left(program) > 0:
        if not take_seat(program):
            break
        candidate = _claim_oldest_waiting(program)
        if candidate is None:
            db.session.rollback()  # gives the seat back
            break
        invite(candidate, program, actor=actor, reason="a seat came free")
        db.session.commit()
        promoted += 1
    db.session.rollback()
    return promoted


def return_seat(signup: SignupRequest, *, actor: str) -> SignupRequest | None:
    """Give back the seat `signup` holds, in the caller's transaction; the request it went to.

    The seat goes straight to the oldest waiting request; only when nobody waits does the pool
    count go down. Clearing `holds_seat` is conditional, so a seat is returned once.
    """
    released = db.session.execute(
        update(SignupRequest)
        .where(SignupRequest.id == signup.id, SignupRequest.holds_seat.is_(True))
        .values(holds_seat=False)
        .execution_options(synchronize_session=False)
    ).rowcount
    signup.holds_seat = False
    if not released:
        return None
    program = current_program()
    next_in_line = _claim_oldest_waiting(program) if program.issues_licenses_on(program_today()) else None
    if next_in_line is None:
        put_seat_back(program)
        return None
    invite(next_in_line, program, actor=actor, reason=f"seat returned by {signup.reference_code}")
    return next_in_line


class RemovalResult(enum.StrEnum):
    REMOVED = "removed"
    NOTHING_TO_DO = "nothing to do"


def remove_license(request_id: int, *, reason: str, actor: str) -> RemovalResult:
    """Take a license back ("not_accepted" or "inactive"): tell the person, free the seat.

    The person may sign up again (re-enrolment): a removed request no longer blocks the email.
    """
    signup = db.session.get(SignupRequest, request_id, populate_existing=True)  # fresh, not a cached copy
    if signup is None or signup.state not in LICENSED_STATES:
        return RemovalResult.NOTHING_TO_DO
    if not claim_request(request_id, signup.state):
        db.session.rollback()
        return RemovalResult.NOTHING_TO_DO
    close_request(signup, reason=reason, actor=actor)
    db.session.commit()
    log.info("Removed %s (%s)", signup.reference_code, reason)
    return RemovalResult.REMOVED


def close_request(signup: SignupRequest, *, reason: str, actor: str, staff: StaffUser | None = None,
                  email_kind: str | None = "removal", note: str | None = None) -> None:
    """Remove a claimed request in the caller's transaction: a license taken back ("not_accepted",
    "inactive", "staff"), or a request withdrawn at the person's wish ("withdrawn"). The person is
    told (`email_kind`), and a seat it held goes to the next in line."""
    signup.removed_at = utcnow()
    signup.removal_reason = reason
    record_state_change(signup, RequestState.REMOVED, actor=actor, reason=note or reason, staff=staff)
    if email_kind:
        queue_email(signup, email_kind)
    return_seat(signup, actor=actor)


def _invite_waiting_first(program: Program, actor: str) -> int:
    """Give free seats to the requests waiting, oldest first, in the caller's transaction; how many.

    Seats are free while people wait when seats came back since the last run of the waitlist job
    (every 5 minutes) or the cap was raised: a newcomer's activation does that job's work first.
    """
    invited = 0
    while _someone_waiting(program) and take_seat(program):
        candidate = _claim_oldest_waiting(program)
        if candidate is None:  # another worker took them all meanwhile
            put_seat_back(program)
            break
        invite(candidate, program, actor=actor, reason="a seat came free")
        invited += 1
    return invited


def _claim_oldest_waiting(program: Program) -> SignupRequest | None:
    """Claim the longest-waiting request of the program (first come, first served)."""
    waiting = db.session.scalars(
        select(SignupRequest.id)
        .where(SignupRequest.program == program.code, SignupRequest.state == RequestState.WAITLISTED)
        .order_by(SignupRequest.created_at, SignupRequest.id)
        .limit(20)
    ).all()
    for candidate_id in waiting:
        if claim_request(candidate_id, RequestState.WAITLISTED):
            candidate = db.session.get(SignupRequest, candidate_id)
            db.session.refresh(candidate)
            return candidate
    return None


def _someone_waiting(program: Program) -> bool:
    return bool(db.session.scalar(select(exists().where(
        SignupRequest.program == program.code, SignupRequest.state == RequestState.WAITLISTED))))


def _was_removed_before(signup: SignupRequest) -> bool:
    """A re-enrolment: this person lost an earlier license of the program and signed up again."""
    return bool(db.session.scalar(select(exists().where(
        SignupRequest.program == signup.program,
        SignupRequest.email == signup.email,
        SignupRequest.id != signup.id,
        SignupRequest.state == RequestState.REMOVED,
    ))))


def _close(signup: SignupRequest, program: Program, actor: str, staff: StaffUser | None = None) -> None:
    """The program stopped issuing licenses before this request's turn came."""
    signup.decision_reason = "program_closed"
    record_state_change(signup, RequestState.DENIED, actor=actor, reason="program_closed", staff=staff)
    queue_email(signup, "not_eligible")
