"""Staff accounts: creation, passwords, sign-in and sessions. Passwords are hashed with argon2.

What administrators do to accounts on the staff pages (create, disable and re-enable, set the role
and areas, reset a password) and a staff member's change of their own password each write an audit
row in the same transaction as the change: who did it, to which account, the fields before and after
(never a password or its hash).
"""

import enum
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext
from sqlalchemy import select
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from portal import staff_lockout
from portal.audit import record_audit
from portal.extensions import db
from portal.identifiers import normalize_email
from portal.models import StaffRole, StaffUser, utcnow
from portal.programs import current_program

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
        raise WeakPassword(gettext("Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH))
    if password.lower() in _COMMON_PASSWORDS:
        raise WeakPassword(gettext("This is one of the most common passwords. Choose another."))
    estimate = zxcvbn(password, user_inputs=[part for part in normalize_email(email).replace("@", ".").split(".")
                                               if part])
    if estimate["score"] < 3:
        # zxcvbn's own hint is English only: staff read it in English, after our translated sentence.
        hint = estimate["feedback"]["warning"] or gettext("Add more words, or words that do not belong together.")
        raise WeakPassword(gettext("This password is too easy to guess. %(hint)s", hint=hint))


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


# --- What administrators do to staff accounts ----------------------------------------------------

class StaffAccountRefused(Exception):
    """The change cannot be made (the message says why, for the staff member); nothing changed."""


def _account_fields(staff: StaffUser) -> dict:
    """What the audit trail keeps of an account: never its password or session token."""
    return {"account_id": staff.id, "account_email": staff.email, "role": staff.role,
            "areas": sorted(staff.areas or []), "is_enabled": staff.is_enabled}


def _program_areas(areas) -> list[str]:
    known = current_program().local_areas
    unknown = sorted(set(areas) - known.keys())
    if unknown:
        raise StaffAccountRefused(gettext("These are not local areas of the program: %(areas)s.",
                                          areas=", ".join(unknown)))
    return sorted(set(areas))


def list_staff_accounts() -> list[StaffUser]:
    """Every account, enabled ones first, then by email."""
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.is_enabled.desc(), StaffUser.email)))


def create_staff_account(admin: StaffUser, *, email: str, password: str, role: StaffRole,
                         areas=()) -> StaffUser:
    """An administrator adds an account (administrators see every area: their areas stay empty)."""
    email = normalize_email(email)
    if find_staff(email) is not None:
        raise StaffExists(email)
    check_password(password, email)
    staff = StaffUser(email=email, password_hash=_hasher.hash(password), role=role,
                      areas=[] if role == StaffRole.ADMIN else _program_areas(areas))
    db.session.add(staff)
    db.session.flush()  # its id, for the audit row
    record_audit("staff_account_created", actor="staff", staff=admin, after=_account_fields(staff))
    db.session.commit()
    return staff


def set_staff_role_and_areas(admin: StaffUser, staff: StaffUser, *, role: StaffRole, areas=()) -> bool:
    """Change an account's role and areas; False when nothing changed (no audit row then). An
    administrator cannot change their own role (so there is always an administrator left)."""
    areas = [] if role == StaffRole.ADMIN else _program_areas(areas)
    if staff.id == admin.id and role != staff.role:
        raise StaffAccountRefused(gettext("You cannot change your own role. Ask another administrator."))
    if staff.role == role and sorted(staff.areas or []) == areas:
        return False
    before = _account_fields(staff)
    staff.role, staff.areas = role, areas
    record_audit("staff_role_and_areas_changed", actor="staff", staff=admin, before=before,
                 after=_account_fields(staff))
    # What the account may see changed: its open sessions end, so none keeps the old reach.
    end_all_sessions(staff)
    return True


def set_staff_enabled(admin: StaffUser, staff: StaffUser, *, enabled: bool) -> bool:
    """Disable an account (every session of it ends at once) or enable it again; False when it
    already was. Nobody can disable their own account."""
    if staff.id == admin.id and not enabled:
        raise StaffAccountRefused(gettext("You cannot disable your own account. Ask another administrator."))
    if staff.is_enabled == enabled:
        return False
    before = _account_fields(staff)
    staff.is_enabled = enabled
    record_audit("staff_account_enabled" if enabled else "staff_account_disabled", actor="staff", staff=admin,
                 before=before, after=_account_fields(staff))
    end_all_sessions(staff)
    return True


def reset_staff_password(admin: StaffUser, staff: StaffUser, new_password: str) -> None:
    """An administrator sets a new password for someone (forgotten, or known to others): every session
    of the account ends, and a sign-in lockout is lifted."""
    check_password(new_password, staff.email)
    staff.password_hash = _hasher.hash(new_password)
    record_audit("staff_password_reset", actor="staff", staff=admin, after={"account_id": staff.id,
                                                                           "account_email": staff.email})
    end_all_sessions(staff)
    staff_lockout.clear_failures(staff.email)


def change_own_password(staff: StaffUser, *, current_password: str, new_password: str) -> None:
    """A staff member changes their own password, giving the current one first. Every session of the
    account ends (the caller signs this one in again)."""
    try:
        _hasher.verify(staff.password_hash, current_password)
    except (VerificationError, InvalidHashError):
        raise StaffAccountRefused(gettext("Your current password is not right.")) from None
    if current_password == new_password:
        raise WeakPassword(gettext("Choose a password you have not used here before."))
    check_password(new_password, staff.email)
    staff.password_hash = _hasher.hash(new_password)
    record_audit("staff_password_changed", actor="staff", staff=staff, after={"account_id": staff.id,
                                                                             "account_email": staff.email})
    end_all_sessions(staff)
