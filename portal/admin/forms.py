from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SearchField
from wtforms.validators import InputRequired, Length

from portal.forms import PortalForm


class LoginForm(PortalForm):
    email = EmailField(_l("Email address"), validators=[InputRequired(_l("Enter your email address"))])
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password"))])


class SearchForm(PortalForm):
    """The work queue's search box (a GET form: nothing to protect with a CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search by reference code, email or name"),
                    validators=[Length(max=254, message=_l("Search for at most 254 characters"))])
