"""Form pieces shared by more than one blueprint."""

import phonenumbers
from flask_babel import lazy_gettext as _l

YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]


def normalize_phone(typed: str) -> str | None:
    """A US phone number in E.164 form ("+15185550123"), or None if it is not one."""
    try:
        number = phonenumbers.parse(typed, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
