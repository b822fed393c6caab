"""Every setting the portal reads, from environment variables with safe defaults.

This is the only module that reads the environment; everything else asks `current_app.config`.
"""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The Redis that `make run` starts when REDIS_URL is not set (a port of its own, so it never
#: collides with a system Redis on 6379).
LOCAL_REDIS_URL = "redis://127.0.0.1:6380/0"


#: Signs sessions when SECRET_KEY is unset; fine on a laptop, never in production.
DEVELOPMENT_SECRET_KEY = "dev-only-secret-key-change-me"


#: RFC 5321 (section 4.5.3.2): how long the SMTP client waits at each step, in seconds. The TCP
#: connection has no RFC timeout; a dead host should not hold a worker for five minutes.
RFC_5321_TIMEOUTS = {
    "MAIL_CONNECT_TIMEOUT": 30,
    "MAIL_GREETING_TIMEOUT": 5 * 60,  # the "220" greeting
    "MAIL_COMMAND_TIMEOUT": 5 * 60,  # MAIL and RCPT (and EHLO, STARTTLS, AUTH, QUIT, which it leaves open)
    "MAIL_DATA_INITIATION_TIMEOUT": 2 * 60,  # the "354" answer to DATA
    "MAIL_DATA_BLOCK_TIMEOUT": 3 * 60,  # sending the message
    "MAIL_DATA_TERMINATION_TIMEOUT": 10 * 60,  # the answer after the message's final "."
}


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _integer(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def _seconds(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value.strip() else default


def database_url(raw_url: str | None, instance_path: str) -> str:
    """The SQLAlchemy URL for DATABASE_URL, defaulting to an SQLite file under instance/.

    Plain `postgres://` and `postgresql://` URLs (as hosting providers hand them out) are mapped to
    the psycopg 3 driver we install.
    """
    if not raw_url:
        return f"sqlite:///{Path(instance_path) / 'portal.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw_url.startswith(prefix):
            return "postgresql+psycopg://" + raw_url[len(prefix):]
    return raw_url


def load_settings(instance_path: str) -> dict:
    """Read the environment once, when the app is built."""
    mail_server = os.environ.get("MAIL_SERVER") or None
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": database_url(os.environ.get("DATABASE_URL"), instance_path),
        "REDIS_URL": os.environ.get("REDIS_URL") or LOCAL_REDIS_URL,
        "RQ_QUEUE": os.environ.get("RQ_QUEUE") or "portal",
        # Mail: without MAIL_SERVER we talk to the local sink `make run` starts on port 8025.
        "MAIL_SERVER": mail_server or "127.0.0.1",
        "MAIL_PORT": _integer("MAIL_PORT", 25 if mail_server else 8025),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL"),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER") or "Training Licenses <no-reply@localhost>",
        # RFC 5321's timeouts, one per step of the SMTP conversation (portal/mail.py says which).
        **{name: _seconds(name, default) for name, default in RFC_5321_TIMEOUTS.items()},
        # Where the development SMTP sink keeps what it catches (read at /admin/dev/mail).
        "MAIL_SINK_DIR": None if mail_server else (
            os.environ.get("MAIL_SINK_DIR") or str(Path(instance_path) / "maildir")
        ),
        "PORTAL_PROGRAM": os.environ.get("PORTAL_PROGRAM") or "ny",
        "ACTIVATION_SLA_HOURS": _integer("ACTIVATION_SLA_HOURS", 48),
        # Where `flask export-provider` and `export-case-report` also write their files (staff
        # download them at /admin/exports whatever this says).
        "EXPORT_DIR": os.environ.get("EXPORT_DIR") or str(Path(instance_path) / "exports"),
        # The address printed in emails; links must work when a job renders them.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{_integer('PORT', 5000)}",
        "LANGUAGES": ("en", "es"),
        "BABEL_DEFAULT_LOCALE": "en",
        # Dates and times are stored in UTC and shown in the program's own time zone.
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("PORTAL_TIMEZONE") or "America/New_York",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE"),
        "WTF_CSRF_TIME_LIMIT": None,  # a phone left on the form for hours must still submit
    }
