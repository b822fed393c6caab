"""Redis stopped while people sign up: nobody notices, nothing is lost, nothing is sent twice.

The sign-up form writes to the database and only then asks Redis to do the rest; with Redis gone the
rows wait, and once it is back the sweep hands them over, once however often it runs.
"""

from collections import Counter

import pytest

from portal.extensions import db
from portal.models import EmailStatus, OutboundEmail, RequestState, SignupRequest
from portal.queue import job_queue
from portal.sweep import enqueue_waiting_work
from tests.conftest import post_form
from tests.factories import FORM_DATA

PEOPLE = 100

SUBJECTS = {
    "en": {
        "confirmation": "We got your request for free online courses",
        "invitation": "Your free access to Coursera is ready",
    },
    "es": {
        "confirmation": "Recibimos su solicitud de cursos gratuitos en línea",
        "invitation": "Su acceso gratuito a Coursera está listo",
    },
}


@pytest.fixture
def redis_url(private_redis_url):
    """Not the machine's shared Redis, which other test runs empty and work from."""
    return private_redis_url


def test_redis_stopped_while_a_hundred_people_sign_up(app, smtp, run_jobs, stoppable_redis):
    stoppable_redis.stop()
    client = app.test_client()
    languages = {f"person{number:03}@example.com": ("es" if number % 3 == 0 else "en") for number in range(PEOPLE)}
    for email, language in languages.items():
        response = post_form(client, f"/{language}/signup",
                             {**FORM_DATA, "email": email, "preferred_language": language})
        # The person is not told about our outage: the normal "we received it" redirect.
        assert (response.status_code, response.headers["Location"]) == (302, f"/{language}/signup/received")

    with app.app_context():
        requests = SignupRequest.query.all()
        assert sorted(request.email for request in requests) == sorted(languages)
        assert {request.state for request in requests} == {RequestState.APPROVED}
        assert {request.email: request.preferred_language for request in requests} == languages
        outbox = [(email.kind, email.status) for email in OutboundEmail.query.all()]
        assert outbox == [("confirmation", EmailStatus.PENDING)] * PEOPLE

    stoppable_redis.start()  # back, on the same port, and empty (it kept nothing)
    with app.app_context():
        assert job_queue().count == 0
        report = enqueue_waiting_work()
        # One job each: the activation job sends the confirmation with the invitation.
        assert (report.activations, report.emails, report.not_enqueued) == (PEOPLE, 0, 0)
        assert job_queue().count == PEOPLE
        again = enqueue_waiting_work()  # the sweep runs every minute: a second run stacks nothing
        assert (again.activations, again.emails, again.not_enqueued) == (PEOPLE, 0, 0)
        assert job_queue().count == PEOPLE

    run_jobs()
    with app.app_context():
        assert {request.state for request in SignupRequest.query.all()} == {RequestState.INVITED}
        assert {email.status for email in OutboundEmail.query.all()} == {EmailStatus.SENT}
        assert OutboundEmail.query.count() == 2 * PEOPLE
        assert enqueue_waiting_work().emails == 0  # nothing left waiting
        db.session.rollback()

    received = Counter((message["To"], message["Subject"]) for message in smtp.messages)
    expected = Counter({(email, subject): 1 for email, language in languages.items()
                        for subject in SUBJECTS[language].values()})
    assert received == expected  # each address exactly one confirmation and one invitation, in its language
    assert len(smtp.messages) == 2 * PEOPLE
