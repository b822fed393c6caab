"""Activations per second when every worker fights over one seat counter, on PostgreSQL.

Every activation takes its seat with a conditional UPDATE of the program's single counter row, so
workers queue on that row lock. This measures what that costs: the same N sign-ups (with seats for
only half of them) drained by 1 forking worker, then by 4, in one run on this machine; it checks
the cap held and every email went out once, and prints the ratio (4 workers / 1 worker). A ratio
well above 1 means the counter is not the bottleneck.

Uses PostgreSQL at BENCH_POSTGRES_URL (default postgresql://127.0.0.1:5432/test, in a throwaway
schema), the Redis at BENCH_REDIS_URL (default redis://127.0.0.1:6379/14, which it empties) and a
local SMTP server (aiosmtpd).

    .venv/bin/python bench/activation_contention.py [N]
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# A benchmark runs on a development machine: its own key, no relay (it and its workers read this).
os.environ.setdefault("PORTAL_ENV", "development")

import sqlalchemy  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from redis import Redis  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import OutboundEmail, RequestState, SeatPool, SignupRequest  # noqa: E402
from portal.programs import load_program  # noqa: E402
from tests.factories import make_signup  # noqa: E402
from tests.smtp import SmtpServer  # noqa: E402

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")


def schema_url(schema: str) -> str:
    base = sqlalchemy.make_url(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    return base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def prepare(app, redis_url: str, count: int) -> None:
    """N approved sign-ups (their activations queued) and seats for half of them."""
    with app.app_context():
        upgrade()
        Redis.from_url(redis_url).flushdb()
        program = load_program(app.config["PORTAL_PROGRAM"])
        db.session.add(SeatPool(program=program.code, seats_taken=program.seat_cap - count // 2))
        db.session.commit()
        for number in range(count):
            make_signup(email=f"bench.{number}@example.com")
        db.engine.dispose()


def drain(workers: int, environment: dict) -> float:
    command = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "worker", "--burst"]
    started = time.perf_counter()
    processes = [subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for _ in range(workers)]
    for process in processes:
        if process.wait() != 0:
            raise SystemExit("a worker failed")
    return time.perf_counter() - started


def check(app, count: int, smtp: SmtpServer) -> None:
    with app.app_context():
        invited = SignupRequest.query.filter_by(state=RequestState.INVITED).count()
        waitlisted = SignupRequest.query.filter_by(state=RequestState.WAITLISTED).count()
        assert (invited, waitlisted) == (count // 2, count - count // 2), (invited, waitlisted)
        assert OutboundEmail.query.filter_by(status="sent").count() == 2 * count == len(smtp.messages)
        db.engine.dispose()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    admin = sqlalchemy.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    smtp = SmtpServer()
    smtp.start()
    results = {}
    try:
        for workers in (1, 4):
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            with admin.begin() as connection:
                connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
            try:
                url = schema_url(schema)
                app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url, "RQ_QUEUE": "bench"})
                prepare(app, redis_url, count)
                smtp.reset()
                environment = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "RQ_QUEUE": "bench",
                               "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port)}
                seconds = drain(workers, environment)
                check(app, count, smtp)
            finally:
                with admin.begin() as connection:
                    connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
            jobs = count * 3  # an activation and two emails each
            results[workers] = count / seconds
            print(f"{workers} worker(s): {count} activations ({count // 2} invited, {count - count // 2} waitlisted), "
                  f"{jobs} jobs in {seconds:6.2f} s = {count / seconds:6.1f} activations/s")
    finally:
        smtp.stop()
        admin.dispose()
    print(f"ratio (4 workers / 1 worker): {results[4] / results[1]:.1f}x")


if __name__ == "__main__":
    main()
