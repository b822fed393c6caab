"""Plain functions that make rows and form data for tests."""

from datetime import datetime, timedelta

from portal.activation import activate_request
from portal.extensions import db
from portal.models import RequestState, SignupRequest, StaffRole, utcnow
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


def make_invited_signup(at: datetime | None = None, **overrides) -> SignupRequest:
    """A request invited by the real activation; `at` (naive UTC) backdates the invitation and its
    history row."""
    signup = make_signup(**overrides)
    activate_request(signup.id)
    signup = db.session.get(SignupRequest, signup.id, populate_existing=True)
    assert signup.state == RequestState.INVITED
    if at is not None:
        signup.invited_at = at
        signup.events[-1].created_at = at
        db.session.commit()
    return signup


def make_staff(email: str = "helpdesk@agency.example.gov", role: StaffRole = StaffRole.HELPDESK):
    return create_staff(email, STAFF_PASSWORD, role)


def sign_in(client, email: str = "helpdesk@agency.example.gov", password: str = STAFF_PASSWORD):
    return post_form(client, "/admin/login", {"email": email, "password": password})
