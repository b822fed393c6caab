"""Jobs per second: RQ's default worker against the portal's worker, in one run on this machine.

RQ's default `rq worker` imports the job module in each forked child, so every job rebuilds the
Flask app; `flask --app wsgi worker` (jobs.worker.PortalWorker) builds it once before forking.
Both drain the same work: N sign-ups, each an activation job and two email jobs sent to a local
SMTP server (aiosmtpd). Uses the Redis at BENCH_REDIS_URL (default redis://127.0.0.1:6379/14,
which it empties) and a throwaway SQLite database.

    .venv/bin/python bench/worker_throughput.py [N]
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# A benchmark runs on a development machine: its own key, no relay (it and its workers read this).
os.environ.setdefault("PORTAL_ENV", "development")

from flask_migrate import upgrade  # noqa: E402
from redis import Redis  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import OutboundEmail  # noqa: E402
from tests.factories import make_signup  # noqa: E402
from tests.smtp import SmtpServer  # noqa: E402


def prepare(database_url: str, redis_url: str, count: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url, "RQ_QUEUE": "bench"})
    with app.app_context():
        upgrade()
        Redis.from_url(redis_url).flushdb()
        for number in range(count):
            make_signup(email=f"bench.{number}@example.com")
        db.engine.dispose()


def drain(command: list[str], environment: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=environment, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def sent_emails(database_url: str) -> int:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        return OutboundEmail.query.filter_by(status="sent").count()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    smtp = SmtpServer()
    smtp.start()
    binaries = Path(sys.executable).parent
    workers = {
        "rq worker (default, app built per job)": [str(binaries / "rq"), "worker", "--burst", "--url", redis_url,
                                                   "--path", str(ROOT), "bench"],
        "flask worker (PortalWorker, app built once)": [str(binaries / "flask"), "--app", "wsgi", "worker", "--burst"],
    }
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, command in workers.items():
            database_url = f"sqlite:///{folder}/{len(results)}.sqlite3"
            prepare(database_url, redis_url, count)
            environment = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "RQ_QUEUE": "bench",
                           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port)}
            smtp.reset()
            seconds = drain(command, environment)
            jobs = count * 3
            assert sent_emails(database_url) == count * 2 == len(smtp.messages), "not every email went out"
            results[name] = jobs / seconds
            print(f"{name:45s} {jobs} jobs in {seconds:6.2f} s = {jobs / seconds:6.1f} jobs/s")
    smtp.stop()
    baseline, portal = results.values()
    print(f"ratio (portal / baseline): {portal / baseline:.1f}x")


if __name__ == "__main__":
    main()
