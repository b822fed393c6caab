"""What every server in a benchmark runs with, in one place, printed at the start of `make bench`.

The portal and the baselines run under the same gunicorn settings and are driven by the same wrk
settings. The portal gets production settings (PORTAL_ENV unset), except for the protections in
`RAISED_FOR_BENCHMARKS`: they stay on in production, but a benchmark sends thousands of sign-ups
from one address, faster than a person fills a form, so it raises them here and says so.
"""

import os
import secrets

#: gunicorn for the portal and for every baseline app.
GUNICORN_OPTIONS = ("--workers", "2", "--worker-class", "sync", "--backlog", "2048", "--timeout", "60")
WRK_THREADS = 2
#: The queue the benchmarks use, so a stray worker of `make run` ("portal") never takes their jobs.
QUEUE = "bench"

#: Protections a benchmark must pass: setting -> (value for the benchmark, why). Names follow the
#: settings of the hardening work (issue 8); a setting the checkout does not read yet changes nothing.
RAISED_FOR_BENCHMARKS: dict[str, tuple[str, str]] = {
    "RATELIMIT_ENABLED": ("0", "rate limits would answer 429 to thousands of sign-ups from one client"),
    "SIGNUP_MIN_FILL_SECONDS": ("0", "the bot check's minimum fill time: wrk posts a fetched form at once"),
}

_SECRET_KEY = secrets.token_hex(32)


def portal_environment(database_url: str, redis_url: str, smtp_port: int, web_port: int | None = None) -> dict:
    """The environment of a `gunicorn wsgi:app` or `flask --app wsgi …` process of a benchmark."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RQ_QUEUE": QUEUE,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "SECRET_KEY": _SECRET_KEY,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port or 8000}",
        "PORTAL_PROGRAM": "ny",
        **{name: value for name, (value, _why) in RAISED_FOR_BENCHMARKS.items()},
    }


def baseline_environment(database_url: str, redis_url: str) -> dict:
    return {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "RQ_QUEUE": QUEUE}


def describe() -> list[str]:
    lines = [
        f"gunicorn {' '.join(GUNICORN_OPTIONS)} on 127.0.0.1 (the portal and every baseline app)",
        f"wrk -t{WRK_THREADS} on loopback; RQ queue {QUEUE!r}; PostgreSQL in a schema of its own per benchmark",
        "Raised for the benchmarks (on in production):",
    ]
    lines += [f"  {name}={value}: {why}" for name, (value, why) in RAISED_FOR_BENCHMARKS.items()]
    return lines
