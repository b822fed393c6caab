"""Activation: an approved request takes a seat and is invited, or waits on the waitlist."""

import enum
import logging

from sqlalchemy import update

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
