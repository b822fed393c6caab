"""Accepting the invitation: the signed link in the email, and the "enrolled" step it records.

The link carries the reference code signed with SECRET_KEY (itsdangerous, as Flask's own session
does), so it cannot be guessed or altered, and it stops working a day after the join-by period.
"""

from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.extensions import db
from portal.models import RequestState, SignupRequest, utcnow
from portal.programs import current_program
from portal.signups import claim_request, find_by_reference, record_state_change

#: Already past the invitation: following the link again just goes on to the provider.
JOINED_STATES = (RequestState.ENROLLED, RequestState.ACTIVE, RequestState.COMPLETED)


class JoinLinkExpired(Exception):
    pass


class JoinLinkInvalid(Exception):
    pass


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="join-invitation")


def join_token(signup: SignupRequest) -> str:
    return _serializer().dumps(signup.reference_code)


def request_for_join_token(token: str) -> SignupRequest:
    max_age = timedelta(days=current_program().enroll_within_days + 1)
    try:
        reference_code = _serializer().loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise JoinLinkExpired from None
    except BadSignature:
        raise JoinLinkInvalid from None
    signup = find_by_reference(reference_code)
    if signup is None:
        raise JoinLinkInvalid
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
