"""Fixtures over real services: Redis, an SMTP server (aiosmtpd), SQLite and PostgreSQL.

Every test that takes `app` runs once on SQLite and once on PostgreSQL (TEST_POSTGRES_URL, which
`make test` sets; empty means SQLite only). A run that was asked for PostgreSQL and cannot reach it
fails: it never skips.
"""

import os
import re
import signal
import uuid

import pytest
import sqlalchemy
from flask_migrate import upgrade
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import SimpleWorker

from jobs.context import use_app
from portal import create_app
from portal.config import RFC_5321_TIMEOUTS
from portal.extensions import db
from portal.queue import job_queue, redis_connection
from tests.processes import RedisServer, WorkerProcess
from tests.smtp import SmtpServer

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
DATABASE_BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
TABLES = ["request_events", "outbound_emails", "signup_requests", "seat_pools", "audit_events", "staff_users",
          "export_files", "purged_request_counts"]


# --- Redis ----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def redis_url():
    """The machine's Redis (database 15, emptied before each test), or one we start ourselves."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        Redis.from_url(url, socket_connect_timeout=1).ping()
        yield url
        return
    except RedisConnectionError:
        pass
    server = RedisServer()
    server.start()
    yield server.url(15)
    server.stop()


@pytest.fixture(scope="session")
def private_redis_url():
    """A Redis server for this test run alone.

    The machine's Redis is shared by every test run on the machine, and each test empties it: a
    test whose jobs must be run by its own workers, start to finish, overrides `redis_url` with
    this one (another run's worker would otherwise take its jobs, or another test empty its queue).
    """
    server = RedisServer()
    server.start()
    yield server.url(15)
    server.stop()


@pytest.fixture
def stoppable_redis(app):
    """A Redis of this test's own, which it may stop (or freeze with SIGSTOP) and start again on the
    same port; the app uses it."""
    server = RedisServer()
    server.start()
    app.config["REDIS_URL"] = server.url()
    app.extensions.pop("portal_redis", None)
    with app.app_context():
        redis_connection().ping()  # the web app was up and talking to Redis before it stopped
    yield server
    if server.process is not None:
        os.kill(server.process.pid, signal.SIGCONT)  # a frozen one must be able to hear SIGTERM
    server.stop()


# --- SMTP -----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server):
    smtp_server.reset()
    return smtp_server


# --- Databases ------------------------------------------------------------------------------

@pytest.fixture(scope="session", params=DATABASE_BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated, empty database for this run: an SQLite file, or a fresh PostgreSQL schema."""
    if request.param not in ("sqlite", "postgresql"):
        pytest.fail(f"Unknown database backend {request.param!r}: use 'sqlite' or 'postgresql'")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.sqlite3'}"
        _migrate(url)
        yield url
        return
    if not POSTGRES_URL:
        pytest.fail("A test runs on PostgreSQL only, and TEST_POSTGRES_URL is not set: set it "
                    "(e.g. postgresql://127.0.0.1:5432/test, as `make test` does); it never skips.")
    schema = f"portal_test_{uuid.uuid4().hex[:12]}"
    base = sqlalchemy.make_url(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        engine = sqlalchemy.create_engine(base, connect_args={"connect_timeout": 5})
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    except sqlalchemy.exc.OperationalError as error:
        pytest.fail(f"Asked for PostgreSQL at {POSTGRES_URL} but cannot reach it: {error}. "
                    "Start it, or set TEST_POSTGRES_URL= to run on SQLite only.")
    url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    _migrate(url)
    yield url
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def _migrate(url: str) -> None:
    """Build the schema with the project's own migrations, as `make run` does."""
    app = create_app({**PRODUCTION_SETTINGS, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


#: The tests run the app as production runs it (PORTAL_ENV unset), with settings production accepts;
#: SQLite is allowed knowingly, since every database test also runs on it.
PRODUCTION_SETTINGS = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "EluyRffltux0uxCb9maNg6N-AEXon4qY02e8JDcIK4kSLkRJ",
    "ALLOW_SQLITE_IN_PRODUCTION": True,
    "MAIL_SERVER": "127.0.0.1",
    "PUBLIC_BASE_URL": "https://portal.test",
}

#: Every step of an SMTP conversation with the test server waits at most 5 s (RFC 5321's minutes would
#: hang a failing test for an hour); tests of the timeouts set their own.
SHORT_SMTP_TIMEOUTS = {name: 5 for name in RFC_5321_TIMEOUTS}


def settings_for(database_url: str, redis_url: str, smtp_port: int) -> dict:
    return {
        **PRODUCTION_SETTINGS,
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "RQ_QUEUE": "portal-test",
        "MAIL_PORT": smtp_port,
        **SHORT_SMTP_TIMEOUTS,
        "MAIL_SUPPRESS_SEND": False,  # Flask-Mail drops all mail when TESTING is on; we want it sent
        "MAIL_SINK_DIR": None,
        "PORTAL_PROGRAM": "ny",
        # Tests send forms far faster than people: the tests of rate limits and of the bot check's
        # timing turn these back on (`abuse_settings`).
        "RATELIMIT_ENABLED": False,
        "SIGNUP_MIN_FILL_SECONDS": 0,
    }


@pytest.fixture
def app_settings():
    """Settings a test module or test changes for its app (override this fixture)."""
    return {}


@pytest.fixture
def app(database_url, redis_url, smtp, app_settings):
    app = create_app({**settings_for(database_url, redis_url, smtp.port), **app_settings})
    Redis.from_url(redis_url).flushdb()
    use_app(app)
    yield app
    with app.app_context():
        _empty_tables()
        db.engine.dispose()
    for name in ("portal_redis", "portal_lockout_redis"):
        connection = app.extensions.pop(name, None)
        if connection is not None:
            connection.close()


def _empty_tables() -> None:
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sqlalchemy.text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    else:
        for table in TABLES:
            db.session.execute(sqlalchemy.text(f"DELETE FROM {table}"))
    db.session.commit()


@pytest.fixture
def app_context(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- Jobs -----------------------------------------------------------------------------------

@pytest.fixture
def start_worker(app):
    """Start `flask --app wsgi worker` processes for the test's app; any still running at the end are killed."""
    started: list[WorkerProcess] = []

    def start(*, burst: bool = True, arguments: tuple[str, ...] = ()) -> WorkerProcess:
        worker = WorkerProcess(app, burst=burst, arguments=arguments)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.close()


@pytest.fixture
def run_jobs(app):
    """Run every job waiting in the portal's queue with a real RQ worker (in this process)."""

    def run() -> None:
        with app.app_context():
            worker = SimpleWorker([job_queue()], connection=redis_connection())
            worker.work(burst=True)

    return run


# --- Forms ----------------------------------------------------------------------------------

CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
FORM_OPENED_PATTERN = re.compile(r'name="form_opened" type="hidden" value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form at `url`, read the way a browser gets it."""
    return hidden_fields(client, url)["csrf_token"]


def hidden_fields(client, url: str) -> dict:
    """The hidden fields a browser sends back with the form at `url`: the CSRF token, and on the
    sign-up form the signed time it was opened."""
    page = client.get(url).get_data(as_text=True)
    match = CSRF_PATTERN.search(page)
    assert match, f"no CSRF token in {url}"
    fields = {"csrf_token": match.group(1) or match.group(2)}
    opened = FORM_OPENED_PATTERN.search(page)
    if opened:
        fields["form_opened"] = opened.group(1)
    return fields


def post_form(client, url: str, data: dict, **kwargs):
    return client.post(url, data={**hidden_fields(client, url), **data}, **kwargs)
