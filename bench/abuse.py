"""Two figures for the abuse defences, each against a baseline measured in the same run, on PostgreSQL.

1. The sign-up answer must not tell who applied, in time either: the median time to answer a
   sign-up for a new address and for an address that already has an open request.
2. A flood of wrong staff passwords must not slow applicants: the median time of `GET /en/signup`
   from gunicorn (2 sync workers) alone, then while 8 threads post wrong passwords, with the rate
   limits and lockout off (as before issue 8: every guess is an argon2 verification) and on.

Uses PostgreSQL at BENCH_POSTGRES_URL (default postgresql://127.0.0.1:5432/test, in a throwaway
schema) and the Redis at BENCH_REDIS_URL (default redis://127.0.0.1:6379/14, which it empties).

    .venv/bin/python bench/abuse.py [N]
"""

import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from redis import Redis  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from tests.conftest import hidden_fields  # noqa: E402
from tests.factories import FORM_DATA, STAFF_PASSWORD, make_staff  # noqa: E402
from tests.smtp import SmtpServer, free_port  # noqa: E402

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SECRET_KEY = "bench-" + uuid.uuid4().hex
#: Production settings it must pass to start (PORTAL_ENV unset); plain-HTTP cookies, because the
#: flood's script and urllib talk to gunicorn over http://127.0.0.1.
PRODUCTION_SETTINGS = {"MAIL_SERVER": "127.0.0.1", "PUBLIC_BASE_URL": "https://bench.test",
                       "SESSION_COOKIE_SECURE": "0"}


def schema_url(schema: str) -> str:
    base = sqlalchemy.make_url(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    return base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def milliseconds(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:6.1f} ms (p90 {statistics.quantiles(samples, n=10)[-1] * 1000:.1f})"


def sign_up_answers(database_url: str, smtp_port: int, count: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": REDIS_URL, "SECRET_KEY": SECRET_KEY,
                      "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port, "RATELIMIT_ENABLED": False,
                      "SIGNUP_MIN_FILL_SECONDS": 0, "PUBLIC_BASE_URL": PRODUCTION_SETTINGS["PUBLIC_BASE_URL"],
                      "SESSION_COOKIE_SECURE": False})
    client = app.test_client()
    fields = hidden_fields(client, "/en/signup")

    def answer(email: str) -> float:
        started = time.perf_counter()
        response = client.post("/en/signup", data={**fields, **FORM_DATA, "email": email})
        elapsed = time.perf_counter() - started
        assert response.status_code == 302, response.status_code
        return elapsed

    for number in range(count):  # the addresses that will sign up again, and a warm-up
        answer(f"owner.{number}@example.com")
    new = [answer(f"new.{number}@example.com") for number in range(count)]
    first_again = [answer(f"Owner.{number}+again@example.com") for number in range(count)]  # owner is emailed
    again = [answer(f"owner.{number}@example.com") for number in range(count)]  # told already: nothing to send
    print(f"sign-up answer, new address:              {milliseconds(new)}")
    print(f"sign-up answer, address that applied:     {milliseconds(first_again)}  (owner emailed)")
    print(f"sign-up answer, address that applied, again: {milliseconds(again)}  (owner told less than 6 h ago)")
    with app.app_context():
        db.engine.dispose()


def server_environment(database_url: str, limits: bool) -> dict:
    """The environment of the flood's gunicorn: production, with the limits and lockout on or off."""
    return {**os.environ, **PRODUCTION_SETTINGS, "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
            "SECRET_KEY": SECRET_KEY, "RATELIMIT_ENABLED": "1" if limits else "0",
            # Off, the lockout would not trigger either: one failure short of it, always.
            "STAFF_LOCKOUT_AFTER_FAILURES": "5" if limits else str(10**9)}


def gunicorn(database_url: str, port: int, limits: bool) -> subprocess.Popen:
    environment = server_environment(database_url, limits)
    process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                                "wsgi:app"], cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("gunicorn did not start")


def applicant_page_times(base: str, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        with urllib.request.urlopen(f"{base}/en/signup", timeout=30) as response:
            response.read()
        samples.append(time.perf_counter() - started)
    return samples


def flood(base: str, stop: threading.Event, counts: dict) -> None:
    """Wrong passwords as fast as one thread can send them (a fresh page and CSRF token each time is
    what a browser-driving script would pay; the token is read once here, as a cheap script does)."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/admin/login").read().decode()
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    while not stop.is_set():
        data = urllib.parse.urlencode({"csrf_token": token, "email": "desk@agency.example.gov",
                                       "password": "wrong password"}).encode()
        try:
            opener.open(f"{base}/admin/login", data=data, timeout=30)
            status = 200
        except urllib.error.HTTPError as error:
            status = error.code
        counts[status] = counts.get(status, 0) + 1


def sign_in_flood(database_url: str, count: int) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    results = {}
    for label, limits in (("limits and lockout off (as before)", False), ("limits and lockout on", True)):
        Redis.from_url(REDIS_URL).flushdb()
        server = gunicorn(database_url, port, limits)
        try:
            applicant_page_times(base, 20)  # warm-up
            quiet = applicant_page_times(base, count)
            stop, counts = threading.Event(), {}
            threads = [threading.Thread(target=flood, args=(base, stop, counts)) for _ in range(8)]
            for thread in threads:
                thread.start()
            time.sleep(1)
            busy = applicant_page_times(base, count)
            stop.set()
            for thread in threads:
                thread.join()
        finally:
            server.terminate()
            server.wait()
        results[label] = (quiet, busy, counts)
    for label, (quiet, busy, counts) in results.items():
        print(f"GET /en/signup, {label}: alone {milliseconds(quiet)}; during the flood {milliseconds(busy)}; "
              f"flood answers {dict(sorted(counts.items()))}")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    schema = f"bench_abuse_{uuid.uuid4().hex[:8]}"
    engine = sqlalchemy.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    database_url = schema_url(schema)
    smtp = SmtpServer()
    smtp.start()
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET_KEY,
                          "MAIL_SERVER": PRODUCTION_SETTINGS["MAIL_SERVER"],
                          "PUBLIC_BASE_URL": PRODUCTION_SETTINGS["PUBLIC_BASE_URL"]})
        with app.app_context():
            upgrade()
            make_staff("desk@agency.example.gov")
            db.engine.dispose()
        Redis.from_url(REDIS_URL).flushdb()
        print(f"PostgreSQL, {count} requests per figure; staff password {len(STAFF_PASSWORD)} characters (argon2)")
        sign_up_answers(database_url, smtp.port, count)
        sign_in_flood(database_url, count)
    finally:
        smtp.stop()
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


if __name__ == "__main__":
    main()
