"""Activation: an approved request takes a seat and is invited, or waits on the waitlist."""

import enum
import logging
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal import notifications, queue
from portal.extensions import db
from portal.models import RequestState, SignupRequest, utcnow
from portal.programs import current_program
from portal.seats import take_seat
from portal.signups import record_state_change

log = logging.getLogger(__name__)

ACTIVATABLE_STATES = (RequestState.APPROVED, RequestState.WAITLISTED)


class ActivationResult(enum.StrEnum):
    INVITED = "invited"
    WAITLISTED = "waitlisted"
    NOTHING_TO_DO = "nothing to do"


def activate_request(request_id: int, *, actor: str = "activation job") -> ActivationResult:
    """Invite one request if it is still waiting; safe to call any number of times.

    The state change is a conditional UPDATE, so of two workers handed the same request only one
    moves it; the other finds nothing to do. Seat, state, history and the invitation's outbox row
    commit together: a crash before the commit leaves the request as it was.
    """
    signup = db.session.get(SignupRequest, request_id)
    if signup is None or signup.state not in ACTIVATABLE_STATES:
        return ActivationResult.NOTHING_TO_DO
    previous_state = signup.state
    claimed = db.session.execute(
        update(SignupRequest)
        .where(SignupRequest.id == request_id, SignupRequest.state == previous_state)
        .values(state=RequestState.INVITED, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return ActivationResult.NOTHING_TO_DO

    program = current_program()
    if not take_seat(program):
        if previous_state == RequestState.WAITLISTED:
            db.session.rollback()  # still no seat; stay where we were
            return ActivationResult.WAITLISTED
        record_state_change(signup, RequestState.WAITLISTED, actor=actor, reason="no seats left")
        db.session.commit()
        return ActivationResult.WAITLISTED

    signup.invited_at = utcnow()
    record_state_change(signup, RequestState.INVITED, actor=actor)
    invitation = notifications.queue_email(signup, "invitation")
    db.session.commit()
    queue.enqueue_email_delivery(invitation.id)
    log.info("Invited %s", signup.reference_code)
    return ActivationResult.INVITED


class ResendResult(enum.StrEnum):
    SENT = "sent"
    TOO_SOON = "too soon"
    LIMIT_REACHED = "limit reached"
    NOT_INVITED = "not invited"


#: An applicant may ask for the invitation again, but not faster than this, nor more often in all.
RESEND_INTERVAL = timedelta(minutes=15)
MAX_INVITATIONS = 5


def send_invitation_again(request_id: int) -> ResendResult:
    """Queue another copy of the invitation ("I never got it"), at most every 15 minutes.

    The copy's idempotency key counts the copies, so a double tap that reaches two web processes
    makes one copy: the second insert hits the unique key.
    """
    signup = db.session.get(SignupRequest, request_id)
    if signup is None or signup.state != RequestState.INVITED:
        return ResendResult.NOT_INVITED
    invitations = [email for email in signup.emails if email.kind == "invitation"]
    if len(invitations) >= MAX_INVITATIONS:
        return ResendResult.LIMIT_REACHED
    if invitations and invitations[-1].created_at > utcnow() - RESEND_INTERVAL:
        return ResendResult.TOO_SOON
    copy = notifications.queue_email(signup, "invitation", occasion=f"again-{len(invitations)}")
    record_state_change(signup, RequestState.INVITED, actor="applicant", reason="asked for the invitation again")
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return ResendResult.TOO_SOON
    queue.enqueue_email_delivery(copy.id)
    return ResendResult.SENT
