import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, RadioField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Length, Optional, StopValidation

from portal.forms import YES_NO, Matches, PortalForm, Ticked, normalize_phone
from portal.programs import current_program

LANGUAGE_CHOICES = [("en", "English"), ("es", "Español")]  # each in its own language, never translated

EMPLOYMENT_CHOICES = [
    ("laid_off", _l("I lost my job, was laid off, or was furloughed")),
    ("unemployed", _l("I am not working and I am looking for work")),
    ("long_term_unemployed", _l("I have been out of work for six months or more")),
    ("return_to_work_date", _l("I am not working now, but I have a date to go back to work")),
    ("underemployed", _l("I am working, but fewer hours or for less pay than I need")),
    ("employed", _l("I am working")),
]

COVID_CHOICES = [("yes", _l("Yes")), ("no", _l("No")), ("not_sure", _l("Not sure"))]

#: Five digits, or ZIP+4; ASCII digits only, and nothing after (matched whole, so no trailing newline).
ZIP_CODE = re.compile(r"[0-9]{5}(-[0-9]{4})?")
#: A case-management id as the agencies write them (OSOS and MOSES ids are letters, digits, hyphens).
CASE_ID = re.compile(r"[A-Za-z0-9-]{1,20}")


def strip_spaces(value):
    """Spaces around a ZIP code or id (a phone keyboard's autocomplete adds one) are not part of it."""
    return value.strip(" ") if isinstance(value, str) else value


def radio_group(label, choices, message, description=""):
    """A required radio group answered with one of its own values; `message` is our own error text
    (WTForms' built-in "Not a valid choice" is neither plain nor translated)."""
    return RadioField(
        label,
        choices=[SelectChoice(value, choice_label) for value, choice_label in choices],
        description=description,
        validate_choice=False,
        validators=[InputRequired(message=message), AnyOf([value for value, _ in choices], message=message)],
    )


class SignupForm(PortalForm):
    first_name = StringField(
        _l("First name"),
        validators=[DataRequired(_l("Enter your first name")),
                    Length(max=100, message=_l("First name must be 100 characters or fewer"))],
    )
    last_name = StringField(
        _l("Last name"),
        validators=[DataRequired(_l("Enter your last name")),
                    Length(max=100, message=_l("Last name must be 100 characters or fewer"))],
    )
    email = EmailField(
        _l("Email address"),
        description=_l("We will send your license invitation to this address."),
        validators=[
            InputRequired(_l("Enter your email address")),
            Length(max=254, message=_l("Email address must be 254 characters or fewer")),
            Email(_l("Enter an email address in the correct format, like name@example.com"),
                  check_deliverability=False),
        ],
    )
    phone = TelField(
        _l("Phone number (optional)"),
        description=_l("So the help desk can call you if something goes wrong."),
        validators=[Optional(), Length(max=25, message=_l("Enter a phone number with area code, like 518-555-0123"))],
    )
    zip_code = StringField(
        _l("ZIP code"),
        filters=[strip_spaces],
        validators=[InputRequired(_l("Enter your ZIP code")),
                    Matches(ZIP_CODE, _l("Enter a 5-digit ZIP code, like 12207"))],
    )
    preferred_language = radio_group(
        _l("Which language should we write to you in?"),
        LANGUAGE_CHOICES,
        _l("Choose the language for your emails"),
    )
    employment_status = radio_group(
        _l("Which best describes your work today?"),
        EMPLOYMENT_CHOICES,
        _l("Choose what best describes your work today"),
    )
    layoff_notice = radio_group(
        _l("Has your employer told you in writing that you will be laid off?"),
        YES_NO,
        _l("Tell us whether you have a layoff notice"),
        description=_l("This is called a layoff notice."),
    )
    covid_related = radio_group(
        _l("Is your job loss or lost work related to COVID-19?"),
        COVID_CHOICES,
        _l("Tell us whether your lost work is related to COVID-19"),
    )
    case_id = StringField(
        _l("Case number (optional)"),
        filters=[strip_spaces],
        validators=[Optional(),
                    Matches(CASE_ID, _l("Use only letters, numbers and hyphens, up to 20 characters"))],
    )
    agency_staff = radio_group(
        _l("Do you work for the state labor department or a local workforce agency?"),
        YES_NO,
        _l("Tell us whether you work for the state labor department or a local workforce agency"),
    )
    attestation = BooleanField(
        _l("I confirm that the answers I gave are true."),
        validators=[Ticked(_l("Confirm that your answers are true to send your request"))],
    )

    # The bot check (`portal.bot_check`): when the form was opened (signed), and a field people
    # never see nor reach, which only a script fills in.
    form_opened = HiddenField()
    website = StringField(_l("Leave this field empty"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.case_id_name = current_program().case_id_name

    def validate_phone(self, field):
        if field.data and normalize_phone(field.data) is None:
            raise StopValidation(_l("Enter a phone number with area code, like 518-555-0123"))
