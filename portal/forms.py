"""Form pieces shared by more than one blueprint, and `PortalForm`, the base of every form.

Every form of the portal refuses control characters (NUL, tabs, line breaks, escape codes and the
like) in every field before the field's own checks run: nobody types them, copying and pasting
brings them in, and PostgreSQL refuses NUL in text, which would answer a sign-up with an error page.
"""

import re
from functools import cache

import phonenumbers
from babel.support import Translations
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, StringField, TextAreaField
from wtforms.i18n import messages_path
from wtforms.validators import StopValidation

YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]

#: What a ticked HTML checkbox sends (WTForms' BooleanField renders value="y").
CHECKBOX_VALUE = "y"

#: C0 and C1 control characters (NUL, tab, line breaks, escape, DEL, ...), lone surrogates, the
#: Unicode line and paragraph separators, and the bidirectional overrides that make text read
#: differently from what it contains.
_CONTROL = "\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
#: A text area may hold several lines: tab, line feed and carriage return are allowed there.
_CONTROL_IN_TEXT_AREA = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_CONTROL_CHARACTERS = re.compile(f"[{_CONTROL}]")
_CONTROL_CHARACTERS_IN_TEXT_AREA = re.compile(f"[{_CONTROL_IN_TEXT_AREA}]")
#: Control characters that stand between words become a space when we show the text back.
_SPACING = re.compile("[\t\n\r\x0b\x0c\x85\u2028\u2029]")


def has_control_characters(text: str) -> bool:
    return _CONTROL_CHARACTERS.search(text) is not None


def without_control_characters(text: str, pattern: re.Pattern = _CONTROL_CHARACTERS) -> str:
    """The text as the person meant it: line breaks and tabs become spaces, the rest goes."""
    return pattern.sub(lambda match: " " if _SPACING.match(match.group()) else "", text)


def refuse_control_characters(form, field: Field) -> None:
    """Stop a field's validation when what was sent holds a control character.

    Typed text is shown back without them, so the person sees what we would keep and sends it
    again; a choice (radio button, checkbox) with one in it is simply not one of the choices.
    """
    pattern = _CONTROL_CHARACTERS_IN_TEXT_AREA if isinstance(field, TextAreaField) else _CONTROL_CHARACTERS
    sent = [value for value in field.raw_data or () if isinstance(value, str)]
    if not any(pattern.search(value) for value in sent):
        return
    if isinstance(field, StringField):
        cleaned = [without_control_characters(value, pattern) for value in sent]
        field.raw_data = cleaned
        field.data = cleaned[0] if cleaned else None
        raise StopValidation(gettext(
            "%(label)s has hidden characters in it, which can come from copying and pasting. We took them "
            "out: check it and send the form again.", label=field.label.text))
    field.data = None
    raise StopValidation(gettext("Choose one of the answers shown."))


@cache
def wtforms_messages(language: str) -> Translations:
    """WTForms' own messages in one language, read from disk once per process: Flask-WTF reads and
    parses the catalog again for every form (half a millisecond of every sign-up, bench/)."""
    return Translations.load(messages_path(), [language], domain="wtforms")


class PortalForm(FlaskForm):
    """The base of every form: no field accepts control characters (see the module's docstring).

    The check runs first on every field, before the field's own validators and the form's
    `validate_<field>` methods, so none of them ever sees such a value.
    """

    class Meta:
        def get_translations(self, form):
            locale = get_locale()
            return wtforms_messages(str(locale)) if locale else None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self:
            if field.name != self.meta.csrf_field_name:
                field.validators = [refuse_control_characters, *field.validators]


class Ticked:
    """A checkbox counts as ticked only when it sends its own value: "no", "0" or "false" do not
    tick it (WTForms' BooleanField would read them as ticked)."""

    field_flags = {"required": True}

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field: Field) -> None:
        if field.raw_data != [CHECKBOX_VALUE]:
            field.data = False
            raise StopValidation(self.message)


class Matches:
    """The whole value matches the pattern (`Regexp` searches with `match`, and `$` in a pattern
    also matches before a final newline: "12207\\n" would pass)."""

    def __init__(self, pattern: re.Pattern, message):
        self.pattern = pattern
        self.message = message

    def __call__(self, form, field):
        if not isinstance(field.data, str) or not self.pattern.fullmatch(field.data):
            raise StopValidation(self.message)


def normalize_phone(typed: str) -> str | None:
    """A US phone number (North American numbering plan) in E.164 form ("+15185550123"), or None
    if it is not one. Only digits and the usual punctuation count: no letters, no extensions."""
    if not _PHONE_AS_TYPED.fullmatch(typed):
        return None
    try:
        number = phonenumbers.parse(typed, "US")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 1 or number.extension or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_PHONE_AS_TYPED = re.compile(r"[0-9 ()+.\-]{7,25}")


def readable_phone(stored: str) -> str:
    """A stored number ("+15185550123") as people write it ("(518) 555-0123")."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(stored, "US"), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return stored
