"""Links the portal writes into emails: absolute public URLs and the signed join token.

The join token carries the reference code signed with SECRET_KEY (itsdangerous, as Flask's own
session does), so it cannot be guessed or altered, and it stops working after a given age.
"""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class JoinLinkExpired(Exception):
    pass


class JoinLinkInvalid(Exception):
    pass


def public_url(path: str) -> str:
    """An absolute link for an email; jobs have no request to take the host from."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="join-invitation")


def join_token(reference_code: str) -> str:
    return _serializer().dumps(reference_code)


def reference_code_in_join_token(token: str, *, max_age_seconds: int) -> str:
    """The reference code a join token was made for; JoinLinkExpired or JoinLinkInvalid otherwise."""
    try:
        return _serializer().loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise JoinLinkExpired from None
    except BadSignature:
        raise JoinLinkInvalid from None
