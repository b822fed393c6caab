"""Staff-assisted sign-up: the public form's questions and rules, entered for a customer."""

import pytest

from portal.extensions import db
from portal.models import RequestState
from portal.signups import find_by_reference
from tests.conftest import post_form
from tests.factories import FORM_DATA, make_signup, make_staff, sign_in
from tests.smtp import email_kind

STAFF_FORM = dict(FORM_DATA)


@pytest.mark.parametrize("language", ["en", "es"])
def test_staff_sign_a_customer_up_and_the_request_says_who(client, staff, smtp, run_jobs, language):
    response = post_form(client, "/admin/signups/new", {**STAFF_FORM, "email": "customer@example.com",
                                                         "preferred_language": language})
    assert response.status_code == 303
    code = response.headers["Location"].rsplit("/", 1)[-1]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Signed up as {code}" in page
    assert "helpdesk@agency.example.gov, for the customer, who gave them the attestation" in page
    signup = find_by_reference(code)
    assert signup.entered_by_staff_id == staff.id and signup.local_area == "capital"
    assert signup.events[0].actor == "staff" and "attestation" in signup.events[0].reason
    run_jobs()
    assert [email_kind(message) for message in smtp.messages_to("customer@example.com")] == [
        "confirmation", "invitation"]
    db.session.expire_all()
    assert find_by_reference(code).state == RequestState.INVITED


def test_the_attestation_must_be_given_and_nothing_typed_is_lost(client, staff):
    data = {**STAFF_FORM, "email": "customer@example.com", "first_name": "Ximena"}
    data.pop("attestation")
    response = post_form(client, "/admin/signups/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Confirm that the customer gave you the attestation" in page
    assert 'value="Ximena"' in page and 'value="customer@example.com"' in page


def test_a_customer_with_an_open_request_is_shown_it_not_signed_up_twice(client, staff):
    existing = make_signup(email="twice@example.com")
    response = post_form(client, "/admin/signups/new", {**STAFF_FORM, "email": "Twice@Example.com"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "already has an open request" in page
    assert f"/admin/requests/{existing.reference_code}" in page
    assert db.session.query(type(existing)).count() == 1


def test_area_limited_staff_cannot_enter_a_zip_code_outside_their_areas(app, client):
    with app.app_context():
        member = make_staff("albany@agency.example.gov")
        member.areas = ["capital"]
        db.session.commit()
    sign_in(client, email="albany@agency.example.gov")
    response = post_form(client, "/admin/signups/new", {**STAFF_FORM, "zip_code": "10451"})
    assert response.status_code == 400 and "outside your local areas" in response.get_data(as_text=True)
    assert post_form(client, "/admin/signups/new", {**STAFF_FORM, "zip_code": "12207"}).status_code == 303
