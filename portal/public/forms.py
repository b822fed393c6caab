import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, RadioField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Length, Optional, StopValidation

from portal.forms import YES_NO, Matches, PortalForm, Ticked, normalize_phone
from portal.programs import current_program
from portal.signups import SignupAnswers

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
#: What is stored when someone leaves the optional COVID-19 question blank.
COVID_UNANSWERED = "unanswered"

#: Five digits, or ZIP+4; ASCII digits only, and nothing after (matched whole, so no trailing newline).
ZIP_CODE = re.compile(r"[0-9]{5}(-[0-9]{4})?")
#: A case-management id as the agencies write them (OSOS and MOSES ids are letters, digits, hyphens).
CASE_ID = re.compile(r"[A-Za-z0-9-]{1,20}")


def strip_spaces(value):
    """Spaces around a ZIP code or id (a phone keyboard's autocomplete adds one) are not part of it."""
    return value.strip(" ") if isinstance(value, str) else value


def radio_group(label, choices, message, description="", required=True):
    """A radio group answered with one of its own values; `message` is our own error text
    (WTForms' built-in "Not a valid choice" is neither plain nor translated)."""
    first = InputRequired(message=message) if required is True else (required or Optional())
    return RadioField(
        label,
        choices=[SelectChoice(value, choice_label) for value, choice_label in choices],
        description=description,
        validate_choice=False,
        validators=[first, AnyOf([value for value, _ in choices], message=message)],
    )


class RequiredWhenWorking:
    """The layoff notice matters only to people who said they are working (the program's
    `eligible_with_layoff_notice` answers): required of them, ignored for everyone else
    (`layoff_notice_given`)."""

    field_flags = {}

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if form.employment_status.data not in needs_layoff_notice():
            field.errors[:] = []
            raise StopValidation()  # kept as given (the form shows it again), but it decides nothing
        if not field.raw_data or not field.raw_data[0]:
            raise StopValidation(self.message)


def layoff_notice_given(form) -> bool:
    """A layoff notice, said by someone whose answer makes it count."""
    return form.employment_status.data in needs_layoff_notice() and form.layoff_notice.data == "yes"


def needs_layoff_notice() -> frozenset[str]:
    """The answers to "your work today" after which the layoff notice is asked."""
    return current_program().eligibility.eligible_with_layoff_notice


class SignupForm(PortalForm):
    """Each question says why it is asked; only the rules and the reports need the answers."""

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
        description=_l("We send your invitation to this email. Use one you check often."),
        validators=[
            InputRequired(_l("Enter your email address")),
            Length(max=254, message=_l("Email address must be 254 characters or fewer")),
            Email(_l("Enter an email address in the correct format, like name@example.com"),
                  check_deliverability=False),
        ],
    )
    phone = TelField(
        _l("Phone number (optional)"),
        description=_l("We call only if there is a problem with your request."),
        validators=[Optional(), Length(max=25, message=_l("Enter a phone number with area code, like 518-555-0123"))],
    )
    zip_code = StringField(
        _l("ZIP code"),
        description=_l("It tells us which local career center can help you."),
        filters=[strip_spaces],
        validators=[InputRequired(_l("Enter your ZIP code")),
                    Matches(ZIP_CODE, _l("Enter a 5-digit ZIP code, like 12207"))],
    )
    preferred_language = radio_group(
        _l("Which language do you want for your emails?"),
        LANGUAGE_CHOICES,
        _l("Choose the language for your emails"),
    )
    employment_status = radio_group(
        _l("Which best describes your work today?"),
        EMPLOYMENT_CHOICES,
        _l("Choose what best describes your work today"),
        description=_l("Your answer decides if you can get free courses."),
    )
    layoff_notice = radio_group(
        _l("Has your employer told you in writing that your job will end?"),
        YES_NO,
        _l("Tell us if you have a layoff notice"),
        description=_l("This is called a layoff notice. People who are working can get free courses only if "
                       "they have one."),
        required=RequiredWhenWorking(_l("Tell us if you have a layoff notice")),
    )
    agency_staff = radio_group(
        _l("Do you work for the state labor department or a local career center?"),
        YES_NO,
        _l("Tell us if you work for the state labor department or a local career center"),
        description=_l("Their staff cannot get free courses through this program."),
    )
    case_id = StringField(
        _l("Career center case number (optional)"),
        description=_l("If a career center gave you a case number, enter it. Then they can add these courses "
                       "to your file. If you do not have one, leave this blank."),
        filters=[strip_spaces],
        validators=[Optional(),
                    Matches(CASE_ID, _l("Use only letters, numbers and hyphens, up to 20 characters"))],
    )
    covid_related = radio_group(
        _l("Did you lose work because of COVID-19? (optional)"),
        COVID_CHOICES,
        _l("Choose one of the answers shown."),
        description=_l("Your answer does not change what you get. We count the answers to report on the program."),
        required=False,
    )
    attestation = BooleanField(
        _l("I confirm that my answers are true."),
        validators=[Ticked(_l("Confirm that your answers are true to send your request"))],
    )

    # The bot check (`portal.bot_check`): when the form was opened (signed), and a field people
    # never see nor reach, which only a script fills in.
    form_opened = HiddenField()
    website = StringField(_l("Leave this field empty"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: The answers to "your work today" after which the layoff notice is asked.
        self.working_answers = needs_layoff_notice()

    def validate_phone(self, field):
        if field.data and normalize_phone(field.data) is None:
            raise StopValidation(_l("Enter a phone number with area code, like 518-555-0123"))


def signup_answers(form: SignupForm) -> SignupAnswers:
    """The answers of a checked sign-up form (public, or entered by staff), as the service takes them."""
    return SignupAnswers(
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        email=form.email.data,
        phone=normalize_phone(form.phone.data) if form.phone.data else None,
        zip_code=form.zip_code.data,
        preferred_language=form.preferred_language.data,
        employment_status=form.employment_status.data,
        covid_related=form.covid_related.data or COVID_UNANSWERED,
        layoff_notice=layoff_notice_given(form),
        case_id=form.case_id.data,
        agency_staff=form.agency_staff.data == "yes",
    )
