"""A growing lockout of staff accounts after failed sign-ins, counted in Redis.

Asked before the password is checked: a locked account costs one Redis lookup, not an argon2
verification, so a flood of guesses cannot take the CPU that applicants' pages need, and nobody
sleeps in a web process. Any address is counted, whether or not it has an account, so the answer
never tells which addresses are staff. When Redis does not answer, sign-in goes on unlocked (and
the log says so): staff must be able to sign in to fix an outage.
"""

import hashlib
import hmac
import logging
import math

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError

from portal.identifiers import normalize_email

log = logging.getLogger(__name__)

#: Failures are forgotten a day after the last one.
FAILURE_MEMORY_SECONDS = 24 * 3600


def _redis() -> Redis:
    connection = current_app.extensions.get("portal_lockout_redis")
    if connection is None:
        connection = Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=0.5, socket_timeout=0.5)
        current_app.extensions["portal_lockout_redis"] = connection
    return connection


def _keys(email: str) -> tuple[str, str]:
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), normalize_email(email).encode(), hashlib.sha256)
    account = digest.hexdigest()[:32]
    return f"portal:staff-sign-in:failures:{account}", f"portal:staff-sign-in:locked:{account}"


def seconds_locked(email: str) -> int:
    """How long this account stays locked (0: not locked)."""
    _failures, locked = _keys(email)
    try:
        remaining_ms = _redis().pttl(locked)
    except RedisError as error:
        log.warning("Staff sign-in lockout unavailable (%s); signing in without it", type(error).__name__)
        return 0
    return math.ceil(remaining_ms / 1000) if remaining_ms > 0 else 0


def record_failure(email: str) -> int:
    """Count a failed sign-in; lock the account once there were too many. The lock's length in
    seconds (0: not locked): the first, doubled for each failure after it, up to the longest."""
    config = current_app.config
    failures_key, locked_key = _keys(email)
    try:
        pipeline = _redis().pipeline()
        pipeline.incr(failures_key)
        pipeline.expire(failures_key, FAILURE_MEMORY_SECONDS)
        failures = pipeline.execute()[0]
        beyond = failures - config["STAFF_LOCKOUT_AFTER_FAILURES"]
        if beyond < 0:
            return 0
        seconds = min(config["STAFF_LOCKOUT_FIRST_SECONDS"] * 2 ** min(beyond, 20),
                      config["STAFF_LOCKOUT_LONGEST_SECONDS"])
        _redis().set(locked_key, failures, ex=seconds)
    except RedisError as error:
        log.warning("Could not count a failed staff sign-in (%s)", type(error).__name__)
        return 0
    log.warning("Staff account locked for %s s after %s failed sign-ins", seconds, failures)
    return seconds


def clear_failures(email: str) -> None:
    try:
        _redis().delete(*_keys(email))
    except RedisError as error:
        log.warning("Could not clear failed staff sign-ins (%s)", type(error).__name__)
