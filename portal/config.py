"""Every setting the portal reads, from environment variables with safe defaults.

This is the only module that reads the environment; everything else asks `current_app.config`.
"""

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The Redis that `make run` starts when REDIS_URL is not set (a port of its own, so it never
#: collides with a system Redis on 6379).
LOCAL_REDIS_URL = "redis://127.0.0.1:6380/0"


#: The only value PORTAL_ENV may take to turn development on; anything else (or nothing) is production.
DEVELOPMENT = "development"
PRODUCTION = "production"

#: The key the portal once fell back on when SECRET_KEY was unset. It is public (it was in the source),
#: so production refuses it; development makes a random key of its own instead (`development_secret_key`).
OLD_DEVELOPMENT_SECRET_KEY = "dev-only-secret-key-change-me"

#: The largest request body the portal accepts (the sign-up form is about 1 KB; nothing is uploaded).
MAX_CONTENT_LENGTH = 64 * 1024


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


def _words(name: str, default: str) -> tuple[str, ...]:
    value = os.environ.get(name)
    return tuple(word.strip().lower() for word in (default if value is None else value).split(",") if word.strip())


#: Mail providers with millions of mailboxes: their domain says nothing about who signs up, so the
#: per-domain sign-up limit skips them (their mailboxes are counted one by one instead).
LARGE_EMAIL_PROVIDERS = (
    "gmail.com,yahoo.com,ymail.com,rocketmail.com,outlook.com,hotmail.com,live.com,msn.com,icloud.com,me.com,"
    "mac.com,aol.com,proton.me,protonmail.com,gmx.com,mail.com,zoho.com,comcast.net,verizon.net,att.net,"
    "sbcglobal.net,bellsouth.net,charter.net,cox.net,optonline.net,earthlink.net,juno.com,"
    "yahoo.com.mx,hotmail.es,hotmail.com.mx,outlook.es,live.com.mx,prodigy.net.mx"
)


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


def portal_environment() -> str:
    """"development" only when PORTAL_ENV says exactly that: a forgotten setting means production."""
    return DEVELOPMENT if os.environ.get("PORTAL_ENV", "").strip().lower() == DEVELOPMENT else PRODUCTION


def development_secret_key(instance_path: str) -> str:
    """A random key kept in instance/ for development, shared by `make run`'s web and worker (join
    links are signed with it), made on first use. Never a key anybody else knows."""
    path = Path(instance_path) / "development-secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as key_file:
            key_file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def load_settings(instance_path: str) -> dict:
    """Read the environment once, when the app is built.

    Development (PORTAL_ENV=development) fills in what a laptop lacks: a random key, the local mail
    sink, a local address. Production fills in nothing that must be chosen: `portal.production`
    refuses to start while such a setting is missing or unsafe.
    """
    environment = portal_environment()
    development = environment == DEVELOPMENT
    mail_server = os.environ.get("MAIL_SERVER") or None
    port = _integer("PORT", 5000)
    return {
        "PORTAL_ENV": environment,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or (development_secret_key(instance_path) if development else None),
        "SQLALCHEMY_DATABASE_URI": database_url(os.environ.get("DATABASE_URL"), instance_path),
        # SQLite is for one machine; production must say so out loud to run on it.
        "ALLOW_SQLITE_IN_PRODUCTION": _flag("ALLOW_SQLITE_IN_PRODUCTION"),
        # How long anything may wait for PostgreSQL (connecting, a free pooled connection, one
        # statement's answer) before the request gives up with a 503.
        "DATABASE_TIMEOUT_SECONDS": _seconds("DATABASE_TIMEOUT_SECONDS", 3),
        "REDIS_URL": os.environ.get("REDIS_URL") or LOCAL_REDIS_URL,
        "RQ_QUEUE": os.environ.get("RQ_QUEUE") or "portal",
        # Mail: in development without MAIL_SERVER we talk to the local sink `make run` starts on
        # port 8025; production has no default relay.
        "MAIL_SERVER": mail_server or ("127.0.0.1" if development else None),
        "MAIL_PORT": _integer("MAIL_PORT", 8025 if development and not mail_server else 25),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL"),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER") or "Training Licenses <no-reply@localhost>",
        # RFC 5321's timeouts, one per step of the SMTP conversation (portal/mail.py says which).
        **{name: _seconds(name, default) for name, default in RFC_5321_TIMEOUTS.items()},
        # Where the development SMTP sink keeps what it catches (read at /admin/dev/mail).
        "MAIL_SINK_DIR": (os.environ.get("MAIL_SINK_DIR") or str(Path(instance_path) / "maildir"))
        if development and not mail_server else None,
        "PORTAL_PROGRAM": os.environ.get("PORTAL_PROGRAM") or "ny",
        "ACTIVATION_SLA_HOURS": _integer("ACTIVATION_SLA_HOURS", 48),
        # Rows on one page of a staff list (the next page follows by keyset, never by offset).
        "ADMIN_PAGE_SIZE": _integer("ADMIN_PAGE_SIZE", 50),
        # Staff lists count up to this many rows, then say "more than" (an exact count reads them all).
        "ADMIN_COUNT_LIMIT": _integer("ADMIN_COUNT_LIMIT", 10_000),
        # Where `flask export-provider` and `export-case-report` also write their files (staff
        # download them at /admin/exports whatever this says).
        "EXPORT_DIR": os.environ.get("EXPORT_DIR") or str(Path(instance_path) / "exports"),
        # The address printed in emails; links must work when a job renders them.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL") or (f"http://127.0.0.1:{port}" if development else None),
        "LANGUAGES": ("en", "es"),
        "BABEL_DEFAULT_LOCALE": "en",
        # Dates and times are stored in UTC and shown in the program's own time zone.
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("PORTAL_TIMEZONE") or "America/New_York",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Cookies only over HTTPS in production (the portal is served behind HTTPS there).
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", default=not development),
        "REMEMBER_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", default=not development),
        "WTF_CSRF_TIME_LIMIT": None,  # a phone left on the form for hours must still submit
        # Bodies past this answer 413 before they are read; form fields and parts are capped too.
        "MAX_CONTENT_LENGTH": MAX_CONTENT_LENGTH,
        "MAX_FORM_MEMORY_SIZE": MAX_CONTENT_LENGTH,
        "MAX_FORM_PARTS": 100,
        # Pages are compressed by portal/static_files.py, which leaves out staff pages (Flask-Compress
        # would otherwise compress every response); static files come precompressed from the build.
        "COMPRESS_REGISTER": False,
        # How many proxies (load balancer, ingress) stand in front of the web processes: their
        # X-Forwarded-For names the client the rate limits count. 0 = clients connect directly.
        "TRUSTED_PROXY_COUNT": _integer("TRUSTED_PROXY_COUNT", 0),
        # How long each web process keeps a public page it rendered (the home page, a blank sign-up or
        # status form; `portal.page_cache`), in seconds. 0 renders every page each time.
        "PAGE_CACHE_SECONDS": _integer("PAGE_CACHE_SECONDS", 60),
        **_abuse_settings(),
    }


def _abuse_settings() -> dict:
    """Rate limits (Flask-Limiter syntax, e.g. "40/minute;600/hour"), the bot check and the staff
    sign-in lockout. Each can be raised (benchmarks, a big enrolment event) without a code change.

    "Client" is one IP address (an IPv6 /64): a career center or library behind one NAT is one
    client, so the per-client limits leave room for a room full of people signing up at once, and
    only a script sending many a second reaches them. Counts are kept in Redis (REDIS_URL).
    """
    return {
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        # Every sign-up form sent from one client, accepted or not.
        "RATELIMIT_SIGNUP_PER_CLIENT": os.environ.get("RATELIMIT_SIGNUP_PER_CLIENT") or "40/minute;600/hour",
        # Accepted sign-ups for one email domain (not the large providers).
        "RATELIMIT_SIGNUP_PER_DOMAIN": os.environ.get("RATELIMIT_SIGNUP_PER_DOMAIN") or "60/hour;300/day",
        # Accepted sign-ups for one mailbox (however it is written).
        "RATELIMIT_SIGNUP_PER_MAILBOX": os.environ.get("RATELIMIT_SIGNUP_PER_MAILBOX") or "5/hour;10/day",
        "LARGE_EMAIL_PROVIDERS": _words("LARGE_EMAIL_PROVIDERS", LARGE_EMAIL_PROVIDERS),
        # Status checks (each one a guess at a reference code, for someone guessing).
        "RATELIMIT_STATUS_PER_CLIENT": os.environ.get("RATELIMIT_STATUS_PER_CLIENT") or "30/minute;300/hour",
        "RATELIMIT_STATUS_PER_MAILBOX": os.environ.get("RATELIMIT_STATUS_PER_MAILBOX") or "20/hour",
        # "Send the invitation again" (each request also allows only one every 15 minutes).
        "RATELIMIT_RESEND_PER_CLIENT": os.environ.get("RATELIMIT_RESEND_PER_CLIENT") or "10/minute;60/hour",
        "RATELIMIT_JOIN_PER_CLIENT": os.environ.get("RATELIMIT_JOIN_PER_CLIENT") or "60/minute;600/hour",
        "RATELIMIT_STAFF_SIGN_IN_PER_CLIENT": (os.environ.get("RATELIMIT_STAFF_SIGN_IN_PER_CLIENT")
                                               or "10/minute;100/hour"),
        # Failed staff sign-ins to one account before it is locked; the first lock, doubled after
        # each further failure up to the longest.
        "STAFF_LOCKOUT_AFTER_FAILURES": _integer("STAFF_LOCKOUT_AFTER_FAILURES", 5),
        "STAFF_LOCKOUT_FIRST_SECONDS": _integer("STAFF_LOCKOUT_FIRST_SECONDS", 60),
        "STAFF_LOCKOUT_LONGEST_SECONDS": _integer("STAFF_LOCKOUT_LONGEST_SECONDS", 15 * 60),
        # A sign-up form sent sooner than this after it was opened is held for a person to look at.
        "SIGNUP_MIN_FILL_SECONDS": _integer("SIGNUP_MIN_FILL_SECONDS", 5),
        # Flask-Limiter: counted in Redis with short timeouts; when Redis is away, counted in each
        # process's memory instead (logged), and sign-ups go on.
        "RATELIMIT_STRATEGY": "sliding-window-counter",
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        "RATELIMIT_KEY_PREFIX": "portal",
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # No X-RateLimit-Remaining: for a per-mailbox limit it would tell how often others tried it.
        "RATELIMIT_HEADERS_ENABLED": False,
    }
