"""The invitation link: signed, expiring, one button that records "enrolled" and goes on to the provider."""

from datetime import timedelta

import time_machine

from portal.activation import remove_license
from portal.extensions import db
from portal.links import join_token
from portal.models import RequestState
from portal.programs import current_program
from tests.conftest import csrf_token
from tests.factories import make_invited_signup


def test_the_join_page_shows_the_dates_and_a_button_that_enrols_and_goes_to_the_provider(app, app_context, client):
    signup = make_invited_signup(preferred_language="es")
    url = f"/es/join/{join_token(signup.reference_code)}"
    page = client.get(url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Crear mi cuenta de Coursera" in text
    assert signup.email in text
    db.session.refresh(signup)
    assert signup.state == RequestState.INVITED  # looking (or a mail scanner fetching the link) enrols nobody

    token = csrf_token(client, url)
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == current_program().provider_join_url
    db.session.refresh(signup)
    assert signup.state == RequestState.ENROLLED
    assert signup.enrolled_at is not None
    assert [event.to_state for event in signup.events].count("enrolled") == 1

    # A second press, or the link used later to get back to the courses: straight on, no second record.
    again = client.post(url, data={"csrf_token": token})
    assert again.status_code == 303
    assert client.get(url).status_code == 303
    db.session.refresh(signup)
    assert [event.to_state for event in signup.events].count("enrolled") == 1


def test_the_button_needs_the_csrf_token(app, app_context, client):
    signup = make_invited_signup()
    response = client.post(f"/en/join/{join_token(signup.reference_code)}")
    assert response.status_code == 400
    db.session.refresh(signup)
    assert signup.state == RequestState.INVITED


def test_an_altered_link_is_refused(app, app_context, client):
    signup = make_invited_signup()
    token = join_token(signup.reference_code)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get(f"/en/join/{tampered}")
    assert response.status_code == 404
    assert "The link is not complete" in response.get_data(as_text=True)


def test_the_link_expires_after_the_join_by_period(app, app_context, client):
    signup = make_invited_signup()
    token = join_token(signup.reference_code)
    with time_machine.travel(timedelta(days=current_program().enroll_within_days + 2)):
        response = client.get(f"/en/join/{token}")
    assert response.status_code == 410
    assert "stop working after the last day to create your account" in response.get_data(as_text=True)


def test_a_removed_license_link_offers_to_sign_up_again(app, app_context, client):
    signup = make_invited_signup()
    remove_license(signup.id, reason="not_accepted", actor="test")
    response = client.get(f"/en/join/{join_token(signup.reference_code)}")
    assert response.status_code == 410
    assert "/en/signup" in response.get_data(as_text=True)
