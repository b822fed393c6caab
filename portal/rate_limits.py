"""Rate limits on the public forms and the staff sign-in (Flask-Limiter, counted in Redis).

Each limit counts one thing: a client (an IP address, or an IPv6 /64, which one household or
phone usually gets), an email domain, or a mailbox however it is written (`mailbox_key`). Limits
are read from settings on every request, so a benchmark or a big enrolment event can raise them.
Keys of domains and mailboxes are keyed hashes: neither Redis nor a log line holds an address.

Over a limit, Flask-Limiter raises werkzeug's 429 (TooManyRequests); the error page says what to do.
When Redis does not answer the limiter counts in each process's memory and logs it: sign-ups go on.
"""

import hashlib
import hmac
import ipaddress
from collections.abc import Callable

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.extensions import limiter
from portal.identifiers import email_domain, mailbox_key


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    if app.config["TRUSTED_PROXY_COUNT"]:
        hops = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    limiter.init_app(app)


def client_key() -> str:
    """The client: its IP address, or the /64 network of an IPv6 address (one subscriber's)."""
    address = request.remote_addr or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return f"client:{address}"
    if parsed.version == 6:
        if parsed.ipv4_mapped:
            return f"client:{parsed.ipv4_mapped}"
        return f"client:{ipaddress.ip_network(f'{parsed}/64', strict=False)}"
    return f"client:{parsed}"


def _typed_email() -> str:
    email = request.form.get("email", "")
    return email if "@" in email else ""


def _hashed(kind: str, value: str) -> str:
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), f"{kind}:{value}".encode(), hashlib.sha256)
    return f"{kind}:{digest.hexdigest()[:32]}"


def mailbox_limit_key() -> str:
    return _hashed("mailbox", mailbox_key(_typed_email()))


def domain_limit_key() -> str:
    return _hashed("domain", email_domain(_typed_email()))


def _no_email() -> bool:
    """No address to count (the form will say so): only the per-client limit applies."""
    return not _typed_email()


def _large_provider_or_no_email() -> bool:
    return _no_email() or email_domain(_typed_email()) in current_app.config["LARGE_EMAIL_PROVIDERS"]


def _accepted(response) -> bool:
    """A sign-up that went through (the form redirects): mistakes in the form do not count."""
    return response.status_code == 302


def _limit(setting: str, key_func: Callable[[], str], scope: str, **options):
    """A limit read from `setting` on each request, counted by `key_func` in a bucket of its own."""
    return limiter.limit(lambda: current_app.config[setting], key_func=key_func, scope=scope, **options)


def _apply(view, *limits):
    for limit in limits:
        view = limit(view)
    return view


def signup_limits(view):
    """Per client (every form sent), per email domain and per mailbox (sign-ups accepted)."""
    return _apply(
        view,
        _limit("RATELIMIT_SIGNUP_PER_CLIENT", client_key, "client", methods=["POST"]),
        _limit("RATELIMIT_SIGNUP_PER_DOMAIN", domain_limit_key, "domain", methods=["POST"],
               exempt_when=_large_provider_or_no_email, deduct_when=_accepted),
        _limit("RATELIMIT_SIGNUP_PER_MAILBOX", mailbox_limit_key, "mailbox", methods=["POST"],
               exempt_when=_no_email, deduct_when=_accepted),
    )


def status_limits(view):
    """Per client and per mailbox for every check; "send it again" has a limit of its own too."""
    return _apply(
        view,
        _limit("RATELIMIT_STATUS_PER_CLIENT", client_key, "client", methods=["POST"]),
        _limit("RATELIMIT_STATUS_PER_MAILBOX", mailbox_limit_key, "mailbox", methods=["POST"], exempt_when=_no_email),
        _limit("RATELIMIT_RESEND_PER_CLIENT", client_key, "resend", methods=["POST"],
               exempt_when=lambda: request.form.get("action") != "resend"),
    )


def join_limits(view):
    return _limit("RATELIMIT_JOIN_PER_CLIENT", client_key, "client")(view)


def staff_sign_in_limits(view):
    """Per client; the lockout per account is `portal.staff_lockout`'s."""
    return _limit("RATELIMIT_STAFF_SIGN_IN_PER_CLIENT", client_key, "client", methods=["POST"])(view)
