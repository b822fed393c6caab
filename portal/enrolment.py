"""Accepting the invitation: the signed link in the email, and the "enrolled" step it records.

The link stops working a day after the join-by period (`portal.links` signs and checks it).
"""

from datetime import timedelta

from portal.extensions import db
from portal.lifecycle import claim_request, record_state_change
from portal.links import JoinLinkInvalid, JoinLinkReplaced, reference_code_in_join_token
from portal.models import RequestState, SignupRequest, utcnow
from portal.programs import current_program
from portal.signups import find_by_reference

#: Already past the invitation: following the link again just goes on to the provider.
JOINED_STATES = (RequestState.ENROLLED, RequestState.ACTIVE, RequestState.COMPLETED)


def request_for_join_token(token: str) -> SignupRequest:
    """The request a join link was made for; JoinLinkExpired, JoinLinkReplaced (a link of an earlier
    invitation) or JoinLinkInvalid otherwise."""
    max_age = timedelta(days=current_program().enroll_within_days + 1)
    reference_code, version = reference_code_in_join_token(token, max_age_seconds=int(max_age.total_seconds()))
    signup = find_by_reference(reference_code)
    if signup is None:
        raise JoinLinkInvalid
    if version != signup.join_link_version:
        raise JoinLinkReplaced
    return signup


def accept_invitation(signup: SignupRequest) -> bool:
    """Record that the person followed the invitation to the provider; True if it was still open.

    Conditional on the state, so a double tap records one "enrolled".
    """
    if signup.state in JOINED_STATES:
        return True
    if not claim_request(signup.id, RequestState.INVITED):
        db.session.rollback()
        db.session.refresh(signup)
        return signup.state in JOINED_STATES
    signup.enrolled_at = utcnow()
    record_state_change(signup, RequestState.ENROLLED, actor="applicant", reason="followed the invitation link")
    db.session.commit()
    return True
