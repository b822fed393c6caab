import re

from tests.conftest import post_form
from tests.factories import make_signup


def test_applicant_checks_status_with_code_and_email(app, client, run_jobs):
    with app.app_context():
        code = make_signup().reference_code
    run_jobs()
    page = post_form(client, "/en/status", {"reference_code": code.lower(), "email": "maria.gonzalez@example.com"})
    assert "Your invitation is ready" in page.get_data(as_text=True)


def test_status_does_not_reveal_requests_to_a_wrong_email(app, client):
    with app.app_context():
        code = make_signup().reference_code
    page = post_form(client, "/es/status", {"reference_code": code, "email": "otra@example.com"}).get_data(as_text=True)
    assert "No encontramos" in page
    assert "Su invitación" not in page and "Maria" not in page


def _ask_again(client, code, email="maria.gonzalez@example.com"):
    return post_form(client, "/en/status", {"reference_code": code, "email": email, "action": "resend"})


def test_applicant_can_ask_for_the_invitation_again_but_not_every_minute(app, client, smtp, run_jobs):
    from datetime import UTC, datetime, timedelta

    import time_machine

    from portal.models import RequestEvent

    def invitations_sent():
        return len([m for m in smtp.messages if m["Subject"] == "Your free access to Coursera is ready"])

    with app.app_context():
        code = make_signup().reference_code
    run_jobs()
    assert invitations_sent() == 1
    # Minutes after the invitation went out: look in the spam folder first.
    assert "Wait 15 minutes" in _ask_again(client, code).get_data(as_text=True)

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=16)):
        assert "We are sending the invitation again" in _ask_again(client, code).get_data(as_text=True)
        assert "Wait 15 minutes" in _ask_again(client, code).get_data(as_text=True)  # a double tap
        run_jobs()
    assert invitations_sent() == 2
    with app.app_context():
        assert RequestEvent.query.filter_by(reason="asked for the invitation again", actor="applicant").count() == 1


def test_no_invitation_to_resend_before_activation(app, client, smtp):
    with app.app_context():
        code = make_signup(employment_status="return_to_work_date").reference_code
    page = _ask_again(client, code).get_data(as_text=True)
    assert "Send the invitation again" not in page and "sending the invitation again" not in page
    assert "A staff member is checking your request" in page


def test_a_waiting_applicant_sees_their_place_in_line(app, client, run_jobs):
    from tests.jobs.test_waitlist import leave_seats, sign_up_in_order

    with app.app_context():
        leave_seats(0)
        requests = sign_up_in_order(3)
        run_jobs()
        third = requests[2]
        data = {"reference_code": third.reference_code, "email": third.email}
    page = post_form(client, "/en/status", data).get_data(as_text=True)
    assert "You are number 3 in line." in page


def test_an_invited_applicant_can_join_from_the_status_page(app, client, run_jobs):
    """"I never got the email": the code and the email are enough to reach the join page."""
    with app.app_context():
        signup = make_signup(preferred_language="es")
        data = {"reference_code": signup.reference_code, "email": signup.email}
    run_jobs()
    page = post_form(client, "/es/status", data)
    join_link = re.search(r'href="(/es/join/[^"]+)"', page.get_data(as_text=True)).group(1)
    assert "Crear mi cuenta de Coursera" in client.get(join_link).get_data(as_text=True)
