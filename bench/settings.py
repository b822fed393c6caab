"""What every server in a benchmark runs with, in one place, printed at the start of `make bench`.

The portal and the baselines run under the same gunicorn settings and are driven by the same wrk
settings. The portal gets production settings (PORTAL_ENV unset), except for the protections in
`RAISED_FOR_BENCHMARKS`: they stay on in production, but a benchmark sends thousands of sign-ups
from one address, faster than a person fills a form, so it raises them here and says so.
"""

import os
import re
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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

#: The seat guard (issue 8) sends sign-ups to review when more than `max_signups` arrive in its
#: window, as a script draining seats would; a burst benchmark does exactly that, so it runs with the
#: New York program file and this number instead (written to instance/bench/, printed at the start).
SEAT_GUARD_MAX_SIGNUPS = 1_000_000
PROGRAM_FILE = ROOT / "instance" / "bench" / "ny-seat-guard-raised.toml"

_SECRET_KEY = secrets.token_hex(32)


def program_file() -> str:
    """The path of New York's program file with the seat guard raised for the benchmarks."""
    text = (ROOT / "portal" / "programs" / "ny.toml").read_text()
    raised, replaced = re.subn(r"(?m)^max_signups = \d+$", f"max_signups = {SEAT_GUARD_MAX_SIGNUPS}", text)
    if replaced != 1:
        raise RuntimeError("portal/programs/ny.toml has no single `max_signups` line to raise")
    PROGRAM_FILE.parent.mkdir(parents=True, exist_ok=True)
    PROGRAM_FILE.write_text(raised)
    return str(PROGRAM_FILE)


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
        # Production settings: links in emails are https (nothing follows them here), and the SQLite
        # sign-up benchmark runs on SQLite knowingly, as a one-machine production may.
        "PORTAL_ENV": "production",
        "PUBLIC_BASE_URL": "https://portal.bench.test",
        "ALLOW_SQLITE_IN_PRODUCTION": "1",
        "PORTAL_PROGRAM": program_file(),
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
    lines.append(f"  seat guard max_signups={SEAT_GUARD_MAX_SIGNUPS:,} (program file {PROGRAM_FILE.name}): "
                 "a burst is what the guard exists to stop")
    return lines
