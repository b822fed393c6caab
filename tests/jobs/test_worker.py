"""The real thing: `flask --app wsgi worker`, RQ's forking worker with the app built before the fork."""

import pytest

from portal.extensions import db
from portal.models import RequestState, SignupRequest
from tests.factories import make_signup


@pytest.fixture
def redis_url(private_redis_url):
    """Our own Redis: the worker must run this test's jobs, not another test run's."""
    return private_redis_url


def test_forking_worker_process_invites_in_the_applicants_language(app, smtp, start_worker):
    with app.app_context():
        signup_id = make_signup(preferred_language="es").id
    output = start_worker().wait_for_success()
    with app.app_context():
        signup = db.session.get(SignupRequest, signup_id)
        assert signup.state == RequestState.INVITED
    assert sorted(message["Subject"] for message in smtp.messages) == [
        "Recibimos su solicitud de cursos gratuitos en línea",
        "Su acceso gratuito a Coursera está listo",
    ]
    # confirmation, activation, invitation: each run to completion by the real worker, none failed
    assert output.count("Job OK") == 3 and "Traceback" not in output
