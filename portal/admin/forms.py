"""The staff forms: sign-in, search and filters, and one small form per action on a request."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SearchField,
    SelectField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from portal.admin.queries import EnteredBy, Filters
from portal.admin.wording import STAFF_REASONS
from portal.forms import PortalForm, Ticked
from portal.helpdesk.contact import LANGUAGE_NAMES
from portal.models import RequestState
from portal.programs import current_program
from portal.public.forms import SignupForm


class LoginForm(PortalForm):
    email = EmailField(_l("Email address"), validators=[InputRequired(_l("Enter your email address"))])
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password"))])


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def end_not_before_start(end, start) -> None:
    """A date range's check: its end may not come before its start."""
    if end and start and end < start:
        raise ValidationError(_l("The end date must be the same as or after the start date"))


def _any(label):
    return [("", label)]


class SearchForm(PortalForm):
    """Search and filters for the lists (a GET form: nothing to protect with a CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Reference code, email, name, phone or case number"),
                    validators=[Length(max=254, message=_l("Search for at most 254 characters"))])
    state = SelectField(_l("State"), validators=[Optional()], validate_choice=True)
    language = SelectField(_l("Language"), validators=[Optional()])
    area = SelectField(_l("Local area"), validators=[Optional()])
    signed_up_from = DateField(_l("Signed up from"), validators=[Optional()],
                               render_kw={"type": "date"})
    signed_up_to = DateField(_l("Signed up to"), validators=[Optional()], render_kw={"type": "date"})
    entered_by = SelectField(_l("Entered by"), validators=[Optional()])

    def __init__(self, *args, areas=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.state.choices = choices(_any(_l("Any state")) + [(state.value, state.label) for state in RequestState])
        self.language.choices = choices(_any(_l("Any language")) + languagechoices())
        program_areas = current_program().local_areas.values()
        self.area.choices = choices(_any(_l("Any area")) + [(area.code, area.name) for area in program_areas
                                                             if areas is None or area.code in areas])
        self.entered_by.choices = choices(_any(_l("Anyone")) + [
            (EnteredBy.APPLICANT.value, _l("The applicant")), (EnteredBy.STAFF.value, _l("Staff, for the customer"))])

    def validate_signed_up_to(self, field):
        end_not_before_start(field.data, self.signed_up_from.data)

    def filters(self) -> Filters:
        return Filters(state=self.state.data or None, language=self.language.data or None,
                       area=self.area.data or None, signed_up_from=self.signed_up_from.data,
                       signed_up_to=self.signed_up_to.data,
                       entered_by=EnteredBy(self.entered_by.data) if self.entered_by.data else None)

    def any_filter(self) -> bool:
        return any(field.data for field in (self.state, self.language, self.area, self.signed_up_from,
                                            self.signed_up_to, self.entered_by))


def languagechoices():
    """The languages by name (made in a request, so they are translated)."""
    return list(LANGUAGE_NAMES.items())


class ActionForm(PortalForm):
    """Every action's form carries what the staff member saw (`version`), so a form made before
    someone else acted, or sent twice, is refused instead of acting on a request that changed."""

    version = HiddenField(validators=[InputRequired()])

    @property
    def seen_version(self) -> int:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return -1


class NoteOptionalForm(ActionForm):
    note = TextAreaField(_l("Note for the history (optional)"),
                         validators=[Optional(), Length(max=2000, message=_l("Write at most 2,000 characters"))])


class DenyForm(NoteOptionalForm):
    reason = RadioField(_l("Why does this request not qualify?"),
                        validators=[InputRequired(_l("Choose the reason"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = choices((code, STAFF_REASONS[code]) for code in current_program().staff_denial_reasons)


class RemoveForm(ActionForm):
    note = TextAreaField(_l("Why is the license taken back?"),
                         validators=[InputRequired(_l("Say why the license is taken back")),
                                     Length(max=2000, message=_l("Write at most 2,000 characters"))])


class CorrectEmailForm(NoteOptionalForm):
    email = EmailField(_l("The right email address"),
                       validators=[InputRequired(_l("Enter the email address")),
                                   Email(message=_l("Enter an email address like name@example.com"),
                                         check_deliverability=False),
                                   Length(max=254, message=_l("Enter at most 254 characters"))])


class LanguageForm(ActionForm):
    language = RadioField(_l("Language for emails and pages"), validators=[InputRequired(_l("Choose a language"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = choices(languagechoices())


class NoteForm(PortalForm):
    text = TextAreaField(_l("Note"), validators=[InputRequired(_l("Write the note")),
                                                 Length(max=2000, message=_l("Write at most 2,000 characters"))])


class SettleForm(NoteOptionalForm):
    settlement = RadioField(_l("What do you know about this email?"), choices=choices([
        ("sent", _l("The person has it: mark it as sent")),
        ("again", _l("The person does not have it: send it again")),
    ]), validators=[InputRequired(_l("Choose what to do"))])


class StaffSignupForm(SignupForm):
    """The public form's questions, entered by staff for a customer (on the phone, at a career
    center); the customer gives the attestation to the staff member, who says so here."""

    attestation = BooleanField(
        _l("The customer told me that everything above is true, and that they understand a false "
           "statement can end their license"),
        validators=[Ticked(_l("Confirm that the customer gave you the attestation"))],
    )
    # Staff are no script: no bot check.
    form_opened = None
    website = None
