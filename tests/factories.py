"""Plain functions that make rows and form data for tests."""

from datetime import timedelta

from portal.extensions import db
from portal.models import StaffRole, utcnow
from portal.signups import SignupAnswers, create_signup
from portal.staff import create_staff
from tests.conftest import post_form

#: A complete, eligible sign-up as the form posts it.
FORM_DATA = {
    "first_name": "Maria",
    "last_name": "Gonzalez",
    "email": "maria.gonzalez@example.com",
    "phone": "518 555 0123",
    "zip_code": "12207",
    "preferred_language": "en",
    "employment_status": "laid_off",
    "covid_related": "yes",
    "layoff_notice": "no",
    "case_id": "",
    "agency_staff": "no",
    "attestation": "y",
}

STAFF_PASSWORD = "correct horse battery staple"


def signup_answers(**overrides) -> SignupAnswers:
    data = {**FORM_DATA, **overrides}
    return SignupAnswers(
        first_name=data["first_name"],
        last_name=data["last_name"],
        email=data["email"],
        phone=None,
        zip_code=data["zip_code"],
        preferred_language=data["preferred_language"],
        employment_status=data["employment_status"],
        covid_related=data["covid_related"],
        layoff_notice=data["layoff_notice"] == "yes",
        case_id=data["case_id"] or None,
        agency_staff=data["agency_staff"] == "yes",
    )


def make_signup(age: timedelta | None = None, **overrides):
    """A sign-up made through the real service; `age` backdates it."""
    signup = create_signup(signup_answers(**overrides))
    if age is not None:
        signup.created_at = utcnow() - age
        db.session.commit()
    return signup


def make_staff(email: str = "helpdesk@agency.example.gov", role: StaffRole = StaffRole.HELPDESK):
    return create_staff(email, STAFF_PASSWORD, role)


def sign_in(client, email: str = "helpdesk@agency.example.gov", password: str = STAFF_PASSWORD):
    return post_form(client, "/admin/login", {"email": email, "password": password})
