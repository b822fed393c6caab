"""What help-desk staff do to a request. Each action is one transaction: the state change, its
history row and its email commit together, or nothing does."""

from portal.activation import return_seat
from portal.extensions import db
from portal.lifecycle import claim_request, record_state_change
from portal.models import CLOSED_STATES, RequestState, SignupRequest
from portal.outbox import queue_email


def deny_request(request_id: int, *, reason: str, actor: str, staff=None) -> bool:
    """A person decides a request does not qualify (staff review): tell the applicant, and give
    back the seat if it held one (a failed invitation does). False if it was already closed."""
    signup = db.session.get(SignupRequest, request_id, populate_existing=True)
    if signup is None or signup.state in CLOSED_STATES:
        return False
    if not claim_request(request_id, signup.state):
        db.session.rollback()
        return False
    signup.decision_reason = reason
    record_state_change(signup, RequestState.DENIED, actor=actor, reason=reason, staff=staff)
    queue_email(signup, "not_eligible")
    return_seat(signup, actor=actor)
    db.session.commit()
    return True
