"""Staff accounts: creation and sign-in. Passwords are hashed with argon2."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from portal.extensions import db
from portal.identifiers import normalize_email
from portal.models import StaffRole, StaffUser, utcnow

_hasher = PasswordHasher()
#: Verified when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")


class StaffExists(Exception):
    pass


def create_staff(email: str, password: str, role: StaffRole) -> StaffUser:
    email = normalize_email(email)
    if db.session.scalar(select(StaffUser).where(StaffUser.email == email)) is not None:
        raise StaffExists(email)
    staff = StaffUser(email=email, password_hash=_hasher.hash(password), role=role)
    db.session.add(staff)
    db.session.commit()
    return staff


def authenticate(email: str, password: str) -> StaffUser | None:
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == normalize_email(email)))
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


def load_staff(staff_id: str) -> StaffUser | None:
    return db.session.get(StaffUser, int(staff_id))
