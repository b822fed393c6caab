"""Links the portal writes into emails: absolute public URLs and the signed join token.

The join token carries the reference code signed with SECRET_KEY (itsdangerous, as Flask's own
session does), so it cannot be guessed or altered, and it stops working after a given age. Once staff
have sent a fresh invitation it also carries the request's `join_link_version`, so that links of
earlier invitations stop working (`portal.enrolment` compares the two).
"""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class JoinLinkExpired(Exception):
    pass


class JoinLinkInvalid(Exception):
    pass


class JoinLinkReplaced(JoinLinkInvalid):
    """A real link, but of an earlier invitation: staff have sent a newer one since."""


def public_url(path: str) -> str:
    """An absolute link for an email; jobs have no request to take the host from."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="join-invitation")


def join_token(reference_code: str, version: int = 0) -> str:
    """A request's join link token; the first version is the bare code, as links always were."""
    return _serializer().dumps([reference_code, version] if version else reference_code)


def reference_code_in_join_token(token: str, *, max_age_seconds: int) -> tuple[str, int]:
    """The reference code and link version a join token was made for; JoinLinkExpired or
    JoinLinkInvalid otherwise."""
    try:
        payload = _serializer().loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise JoinLinkExpired from None
    except BadSignature:
        raise JoinLinkInvalid from None
    if isinstance(payload, str):
        return payload, 0
    reference_code, version = payload
    return reference_code, version
