from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, StringField
from wtforms.validators import InputRequired, Length

from portal.forms import PortalForm


class StatusForm(PortalForm):
    reference_code = StringField(
        _l("Reference code"),
        description=_l("It is in the email we sent when you signed up, like K7MQ-4X2P."),
        validators=[InputRequired(_l("Enter your reference code")),
                    Length(max=40, message=_l("Enter your reference code, like K7MQ-4X2P"))],
    )
    email = EmailField(
        _l("Email address"),
        description=_l("The one you signed up with."),
        validators=[InputRequired(_l("Enter the email address you signed up with")),
                    Length(max=254, message=_l("Email address must be 254 characters or fewer"))],
    )
    #: "resend" when the applicant asks for the invitation again from the status page.
    action = HiddenField()


class JoinForm(PortalForm):
    """Only the CSRF token: the button that records "enrolled" must be pressed by a person (a mail
    scanner that fetches the link from the email must not enrol anyone)."""
