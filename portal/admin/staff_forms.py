"""The forms of the staff-account pages, the own-password page and the audit trail's filters."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, PasswordField, RadioField, SelectField, SelectMultipleField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.admin.forms import choices, end_not_before_start
from portal.forms import PortalForm
from portal.models import StaffRole
from portal.programs import current_program
from portal.staff import MIN_PASSWORD_LENGTH, WeakPassword, check_password

ROLE_NAMES = {StaffRole.HELPDESK.value: _l("Help desk"), StaffRole.ADMIN.value: _l("Administrator")}
ROLE_HINTS = {
    StaffRole.HELPDESK.value: _l("Finds requests and acts on them; limited to the areas ticked below, if any."),
    StaffRole.ADMIN.value: _l("Everything help desk staff do, in every area, plus staff accounts, the audit "
                              "trail, export files and the queue monitor."),
}


class _StrongPassword:
    """The rule the app holds every staff password to (`portal.staff.check_password`)."""

    def __init__(self, email_field: str | None = None):
        self.email_field = email_field

    def __call__(self, form, field):
        email = form[self.email_field].data if self.email_field else getattr(form, "account_email", "")
        try:
            check_password(field.data or "", email or "")
        except WeakPassword as weak:
            raise ValidationError(str(weak)) from None


def _new_password_field(label, email_field: str | None = None):
    return PasswordField(label, description=_l("At least %(count)s characters. A few words that do not belong "
                                               "together are easy to remember and hard to guess.",
                                               count=MIN_PASSWORD_LENGTH),
                         validators=[InputRequired(_l("Enter the new password")), _StrongPassword(email_field)])


#: Made before the role and areas fields, so it comes first on the page and in the error summary
#: (WTForms orders fields by when they were made).
_email_field = EmailField(_l("Email address"), validators=[
    InputRequired(_l("Enter the email address")),
    Email(message=_l("Enter an email address like name@agency.gov"), check_deliverability=False),
    Length(max=254, message=_l("Enter at most 254 characters"))])


class RoleAndAreasForm(PortalForm):
    role = RadioField(_l("Role"), choices=choices(ROLE_NAMES.items()),
                      validators=[InputRequired(_l("Choose a role"))])
    areas = SelectMultipleField(_l("Local areas"), description=_l("Help desk staff see and act on the requests of "
                                                                  "these areas only. Tick none for every area. "
                                                                  "Administrators always see every area."),
                                validators=[Optional()], widget=ListWidget(prefix_label=False),
                                option_widget=CheckboxInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas.choices = choices((area.code, area.name) for area in current_program().local_areas.values())


class NewStaffForm(RoleAndAreasForm):
    email = _email_field
    password = _new_password_field(_l("First password"), email_field="email")


class _AccountPasswordForm(PortalForm):
    """A new password for an existing account, whose address the password must not resemble."""

    def __init__(self, *args, account_email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email


class PasswordResetForm(_AccountPasswordForm):
    password = _new_password_field(_l("New password"))


class OwnPasswordForm(_AccountPasswordForm):
    current_password = PasswordField(_l("Your current password"),
                                     validators=[InputRequired(_l("Enter your current password"))])
    password = _new_password_field(_l("New password"))
    confirm_password = PasswordField(_l("The new password again"), validators=[
        InputRequired(_l("Enter the new password again")),
        EqualTo("password", message=_l("The two new passwords are not the same"))])


class ButtonForm(PortalForm):
    """A button that changes something: the CSRF token only."""


class AuditFiltersForm(PortalForm):
    """The audit trail's filters (a GET form: nothing to protect with a CSRF token)."""

    class Meta:
        csrf = False

    staff = SelectField(_l("Staff member"), validators=[Optional()])
    action = SelectField(_l("Action"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()], render_kw={"type": "date"})
    date_to = DateField(_l("To"), validators=[Optional()], render_kw={"type": "date"})

    def __init__(self, *args, staff_choices=(), action_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.staff.choices = choices([("", _l("Anyone")), *staff_choices])
        self.action.choices = choices([("", _l("Any action")), *action_choices])

    def validate_date_to(self, field):
        end_not_before_start(field.data, self.date_from.data)

    def any_filter(self) -> bool:
        return any(field.data for field in (self.staff, self.action, self.date_from, self.date_to))
