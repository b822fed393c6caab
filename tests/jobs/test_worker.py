"""The real thing: `flask --app wsgi worker`, a supervisor and the worker process it forks (RQ's SimpleWorker)."""

import os
import signal

import pytest
from rq import Worker

from portal.extensions import db
from portal.models import RequestState, SignupRequest
from portal.queue import redis_connection
from tests.factories import make_signup
from tests.jobs.workers import sent
from tests.processes import wait_until


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
    # One job sends both: the activation, run to completion by the real worker
    assert output.count("Job OK") == 1 and "Traceback" not in output


def test_the_supervisor_replaces_its_worker_process_after_max_jobs(app, smtp, start_worker):
    with app.app_context():
        addresses = [make_signup(email=f"replaced{number}@example.com").email for number in range(2)]
    output = start_worker(arguments=("--max-jobs", "1")).wait_for_success()  # two jobs, one a process
    assert output.count("making way for a fresh worker process") == 2
    assert output.count("Job OK") == 2
    assert sent(smtp.messages) == {(address, kind): 1 for address in addresses
                                   for kind in ("confirmation", "invitation")}


def test_the_supervisor_starts_a_new_worker_process_when_its_own_is_killed(app, smtp, start_worker):
    worker = start_worker(burst=False)
    with app.app_context():
        wait_until(lambda: Worker.count(connection=redis_connection()) == 1, timeout=60, what="the worker")
    first = worker.work_horses()
    os.kill(first[0], signal.SIGKILL)  # the worker process alone, as the kernel's OOM killer would
    wait_until(lambda: "starting another" in worker.output(), timeout=30, what="the supervisor to notice")
    with app.app_context():
        address = make_signup().email
    wait_until(lambda: len(smtp.messages) == 2, timeout=60, what="the new worker process to send both emails")
    assert worker.process.poll() is None and worker.work_horses() != first
    assert sent(smtp.messages) == {(address, "confirmation"): 1, (address, "invitation"): 1}
