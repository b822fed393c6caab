"""The database or Redis down, or frozen, while people sign up: an answer in seconds, never a 500,
nothing half-saved, nothing lost.

The faults are real: a TCP proxy in front of the real PostgreSQL that refuses connections or
accepts them and stays silent (tests/proxy.py), and a private redis-server stopped with SIGSTOP.
Before, a refusing database gave a bare English 500 (also under /es/) and lost the typed answers;
a silent one a 500 after gunicorn's 30 s; /readyz a 500; each sign-up waited 20–59 s on a frozen
Redis. The bounds below are correctness bounds ("answered within 5 s"), not speed targets.
"""

import os
import re
import signal
import time

import pytest
import sqlalchemy
from redis import Redis

from portal import create_app
from portal.extensions import db
from portal.models import OutboundEmail, RequestEvent, SignupRequest
from portal.queue import job_queue
from portal.sweep import enqueue_waiting_work
from tests.conftest import hidden_fields, settings_for
from tests.factories import FORM_DATA
from tests.proxy import TcpProxy

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
TYPED = {**FORM_DATA, "first_name": "Ramón", "last_name": "Ortiz Vega", "email": "ramon.ortiz@example.com",
         "phone": "(518) 555-0199", "zip_code": "12210", "employment_status": "return_to_work_date",
         "layoff_notice": "yes", "case_id": "NY12345", "preferred_language": "es"}
UNAVAILABLE = {"en": "We could not save your request just now", "es": "No pudimos guardar su solicitud en este momento"}


@pytest.fixture
def proxy(database_url):
    url = sqlalchemy.make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxied_app(app, proxy, database_url):
    """The portal with its database reached through the proxy (same schema as `app`)."""
    url = sqlalchemy.make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    proxied = create_app(settings_for(url.render_as_string(hide_password=False), app.config["REDIS_URL"],
                                      app.config["MAIL_PORT"]))
    yield proxied
    with proxied.app_context():
        db.engine.dispose()


def saved_rows(app) -> tuple[int, int, int]:
    """What the database holds, read directly (not through the proxy)."""
    with app.app_context():
        return tuple(db.session.scalar(sqlalchemy.select(sqlalchemy.func.count()).select_from(model))
                     for model in (SignupRequest, RequestEvent, OutboundEmail))


def submit(client, language: str, data: dict, hidden: dict):
    started = time.monotonic()
    response = client.post(f"/{language}/signup", data={**data, **hidden})
    return response, time.monotonic() - started


def assert_form_kept(response, language: str, data: dict):
    """The 503 page is the form again, translated, with every typed answer in it."""
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert UNAVAILABLE[language] in html
    for field in ("first_name", "last_name", "email", "phone", "zip_code", "case_id"):
        value = re.escape(data[field])
        assert re.search(rf'name="{field}"[^>]*value="{value}"|value="{value}"[^>]*name="{field}"', html), field
    for field in ("preferred_language", "employment_status", "layoff_notice", "covid_related", "agency_staff"):
        assert re.search(rf'<input[^>]*checked[^>]*name="{field}"[^>]*value="{data[field]}"', html), f"{field} lost"
    assert re.search(r'<input[^>]*checked[^>]*name="attestation"', html), "attestation lost"


@ON_POSTGRESQL
@pytest.mark.parametrize("language", ["en", "es"])
def test_database_refusing_at_submit_keeps_the_answers_and_saves_nothing(app, proxied_app, proxy, language):
    client = proxied_app.test_client()
    hidden = hidden_fields(client, f"/{language}/signup")
    proxy.refuse()

    response, seconds = submit(client, language, TYPED, hidden)

    assert_form_kept(response, language, TYPED)
    assert seconds < 5
    assert saved_rows(app) == (0, 0, 0)
    proxy.forward()  # back: the same answers, sent again, are saved
    response, _ = submit(client, language, TYPED, hidden)
    assert response.status_code == 302
    assert saved_rows(app) == (1, 2, 1)


@ON_POSTGRESQL
@pytest.mark.parametrize("language", ["en", "es"])
def test_database_going_silent_answers_within_five_seconds_and_saves_nothing(app, proxied_app, proxy, language):
    client = proxied_app.test_client()
    hidden = hidden_fields(client, f"/{language}/signup")
    response, _ = submit(client, language, {**TYPED, "email": "first@example.com"}, hidden)
    assert response.status_code == 302  # a pooled connection now exists, and it is the one that goes silent
    proxy.go_silent()

    response, seconds = submit(client, language, TYPED, hidden)

    assert_form_kept(response, language, TYPED)
    assert seconds < 5
    assert saved_rows(app) == (1, 2, 1)  # only the first person
    response, seconds = submit(client, language, TYPED, hidden)  # a new connection: accepted, then nothing
    assert response.status_code == 503 and seconds < 5
    proxy.forward()
    response, _ = submit(client, language, TYPED, hidden)
    assert response.status_code == 302
    assert saved_rows(app) == (2, 4, 2)


@ON_POSTGRESQL
def test_database_going_silent_at_commit_leaves_nothing_half_saved(app, proxied_app, proxy):
    """The inserts reach PostgreSQL, the COMMIT never does: the transaction dies with its connection."""
    client = proxied_app.test_client()
    hidden = hidden_fields(client, "/es/signup")
    proxy.go_silent_at(b"COMMIT")

    response, seconds = submit(client, "es", TYPED, hidden)

    assert_form_kept(response, "es", TYPED)
    assert seconds < 5
    assert saved_rows(app) == (0, 0, 0)
    proxy.forward()
    response, _ = submit(client, "es", TYPED, hidden)
    assert response.status_code == 302
    assert saved_rows(app) == (1, 2, 1)


# --- /readyz --------------------------------------------------------------------------------

def ready(app) -> tuple[int, dict, float]:
    started = time.monotonic()
    response = app.test_client().get("/readyz")
    return response.status_code, response.get_json(), time.monotonic() - started


@ON_POSTGRESQL
def test_readyz_says_503_within_two_seconds_when_the_database_refuses_or_is_silent(proxied_app, proxy):
    assert ready(proxied_app)[:2] == (200, {"status": "ok", "database": "ok", "redis": "ok"})
    proxy.refuse()
    status, body, seconds = ready(proxied_app)
    assert (status, body["database"], body["redis"]) == (503, "error: OperationalError", "ok") and seconds < 2
    proxy.forward()
    proxy.go_silent()
    status, body, seconds = ready(proxied_app)
    assert (status, body["database"], body["redis"]) == (503, "timeout", "ok") and seconds < 2


def test_readyz_says_503_within_two_seconds_when_redis_refuses_or_is_frozen(app, stoppable_redis):
    assert ready(app)[0] == 200
    os.kill(stoppable_redis.process.pid, signal.SIGSTOP)
    status, body, seconds = ready(app)
    assert (status, body["database"]) == (503, "ok") and seconds < 2
    assert body["redis"] in ("error: TimeoutError", "timeout")  # its own 0.5 s, or the page's 1.5 s
    os.kill(stoppable_redis.process.pid, signal.SIGCONT)
    stoppable_redis.stop()
    status, body, seconds = ready(app)
    assert (status, body["redis"], body["database"]) == (503, "error: ConnectionError", "ok") and seconds < 2


def test_redis_frozen_a_sign_up_is_saved_and_answered_within_two_seconds(app, stoppable_redis):
    client = app.test_client()
    hidden = hidden_fields(client, "/en/signup")
    Redis.from_url(stoppable_redis.url()).ping()
    os.kill(stoppable_redis.process.pid, signal.SIGSTOP)

    for number, language in enumerate(["en", "es", "en"]):
        response, seconds = submit(client, language, {**FORM_DATA, "email": f"frozen{number}@example.com"}, hidden)
        assert response.status_code == 302 and seconds < 2

    assert saved_rows(app) == (3, 6, 3)
    os.kill(stoppable_redis.process.pid, signal.SIGCONT)  # thawed: the sweep hands the work over
    with app.app_context():
        report = enqueue_waiting_work()
        # One job each: the activation job sends the confirmation with the invitation.
        assert (report.activations, report.emails, report.not_enqueued) == (3, 0, 0)
        assert job_queue().count == 3
