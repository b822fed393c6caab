"""Asking for the invitation again, when it never arrived or was lost."""

import enum
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.lifecycle import record_state_change
from portal.models import RequestState, SignupRequest, utcnow
from portal.outbox import INVITATION_KINDS, queue_email


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
    signup = db.session.get(SignupRequest, request_id, populate_existing=True)  # fresh, not a cached copy
    if signup is None or signup.state != RequestState.INVITED:
        return ResendResult.NOT_INVITED
    invitations = [email for email in signup.emails if email.kind in INVITATION_KINDS]
    if len(invitations) >= MAX_INVITATIONS:
        return ResendResult.LIMIT_REACHED
    if invitations and invitations[-1].created_at > utcnow() - RESEND_INTERVAL:
        return ResendResult.TOO_SOON
    kind = invitations[0].kind if invitations else "invitation"
    queue_email(signup, kind, occasion=f"again-{len(invitations)}")
    record_state_change(signup, RequestState.INVITED, actor="applicant", reason="asked for the invitation again")
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return ResendResult.TOO_SOON
    return ResendResult.SENT
