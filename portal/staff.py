"""Staff accounts: creation, passwords, sign-in and sessions. Passwords are hashed with argon2."""

import enum
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from portal import staff_lockout
from portal.extensions import db
from portal.identifiers import normalize_email
from portal.models import StaffRole, StaffUser, utcnow

_hasher = PasswordHasher()
#: Verified when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")

MIN_PASSWORD_LENGTH = 12
#: The 30,000 most common passwords of zxcvbn's lists (leaked-password corpora).
_COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])


class StaffExists(Exception):
    pass


class WeakPassword(ValueError):
    """The password is too short, too common or too easy to guess; the message says which."""


class SignInOutcome(enum.StrEnum):
    SIGNED_IN = "signed in"
    REFUSED = "refused"
    LOCKED = "locked"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignInOutcome
    staff: StaffUser | None = None
    #: While LOCKED: how long until the account may try again.
    retry_after_seconds: int = 0


def check_password(password: str, email: str = "") -> None:
    """Raise WeakPassword unless the password is long and not guessable (zxcvbn score 3 or more)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if password.lower() in _COMMON_PASSWORDS:
        raise WeakPassword("This is one of the most common passwords. Choose another.")
    estimate = zxcvbn(password, user_inputs=[part for part in normalize_email(email).replace("@", ".").split(".")
                                               if part])
    if estimate["score"] < 3:
        hint = estimate["feedback"]["warning"] or "Add more words, or words that do not belong together."
        raise WeakPassword(f"This password is too easy to guess. {hint}")


def create_staff(email: str, password: str, role: StaffRole) -> StaffUser:
    email = normalize_email(email)
    if db.session.scalar(select(StaffUser).where(StaffUser.email == email)) is not None:
        raise StaffExists(email)
    check_password(password, email)
    staff = StaffUser(email=email, password_hash=_hasher.hash(password), role=role)
    db.session.add(staff)
    db.session.commit()
    return staff


def find_staff(email: str) -> StaffUser | None:
    return db.session.scalar(select(StaffUser).where(StaffUser.email == normalize_email(email)))


def set_password(staff: StaffUser, password: str) -> None:
    """A new password ends every session of the account (someone may have known the old one)."""
    check_password(password, staff.email)
    staff.password_hash = _hasher.hash(password)
    end_all_sessions(staff)


def disable_staff(staff: StaffUser) -> None:
    """No more sign-ins, and every open session ends now."""
    staff.is_enabled = False
    end_all_sessions(staff)


def end_all_sessions(staff: StaffUser) -> None:
    """Every session cookie of this account carries its token: a new token ends all of them."""
    staff.session_token = secrets.token_urlsafe(32)
    db.session.commit()


def sign_in(email: str, password: str) -> SignInResult:
    """Check a staff sign-in, after the account's lockout: a locked account is refused before its
    password is verified."""
    locked_for = staff_lockout.seconds_locked(email)
    if locked_for:
        return SignInResult(SignInOutcome.LOCKED, retry_after_seconds=locked_for)
    staff = authenticate(email, password)
    if staff is None:
        locked_for = staff_lockout.record_failure(email)
        if locked_for:
            return SignInResult(SignInOutcome.LOCKED, retry_after_seconds=locked_for)
        return SignInResult(SignInOutcome.REFUSED)
    staff_lockout.clear_failures(email)
    return SignInResult(SignInOutcome.SIGNED_IN, staff)


def authenticate(email: str, password: str) -> StaffUser | None:
    """The account, if the password is right and the account enabled (no lockout: see sign_in)."""
    staff = find_staff(email)
    try:
        _hasher.verify(staff.password_hash if staff else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if staff is None or not staff.is_enabled:
        return None
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = _hasher.hash(password)
    staff.last_login_at = utcnow()
    db.session.commit()
    return staff


def load_staff(session_id: str) -> StaffUser | None:
    """Flask-Login's user loader: the account, only while the session's token is its current one
    and the account is enabled."""
    staff_id, _dot, token = session_id.partition(".")
    if not staff_id.isdigit() or not token:
        return None
    staff = db.session.get(StaffUser, int(staff_id))
    if staff is None or not staff.is_enabled or not hmac.compare_digest(staff.session_token, token):
        return None
    return staff
