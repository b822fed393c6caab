"""A cheap check for scripts on the sign-up form: no third party, no JavaScript.

Two signs: a field that people never see nor reach (hidden from the screen, the keyboard and
assistive technology) has something in it, or the form came back sooner after it was opened than
a person can fill it in (the time it was opened travels in the form, signed, so it cannot be
changed). Neither refuses anything: a request with either sign is kept, but waits for a staff
member instead of taking a seat, and the answer looks like every other, so a script learns nothing
and a person who was just fast loses nothing.
"""

import time

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner

_SALT = "signup-form-opened"
_PAYLOAD = "signup"


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt=_SALT)


def form_opened_stamp() -> str:
    """The moment the form was opened, signed, for a hidden field."""
    return _signer().sign(_PAYLOAD).decode()


def is_valid_stamp(stamp: str | None) -> bool:
    return _opened_at(stamp) is not None


def _opened_at(stamp: str | None) -> float | None:
    if not stamp:
        return None
    try:
        value, opened = _signer().unsign(stamp, return_timestamp=True)
    except BadSignature:
        return None
    return opened.timestamp() if value == _PAYLOAD.encode() else None


def bot_signs(stamp: str | None, honeypot: str | None) -> str | None:
    """What makes this submission look sent by a script, for staff to read; None if nothing."""
    if honeypot:
        return "Bot check: a field that people cannot see or reach was filled in."
    opened = _opened_at(stamp)
    if opened is None:
        return "Bot check: the form came back without the signed time it was opened."
    seconds = time.time() - opened
    minimum = current_app.config["SIGNUP_MIN_FILL_SECONDS"]
    if seconds < minimum:
        return (f"Bot check: the form was sent {max(seconds, 0):.0f} seconds after it was opened; "
                f"people take at least {minimum}.")
    return None
