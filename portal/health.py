"""/healthz (the process is up) and /readyz (the database and Redis answer), for load balancers.

/readyz answers within READY_CHECK_SECONDS whatever is down: both checks run at once in threads of
their own, and one that has not answered by then is reported as "timeout" (it finishes, or fails,
in the background by its own timeouts). A frozen Redis or a silent database is a 503, never a hang
or a 500.
"""

import threading
import time

from flask import Flask, current_app, jsonify
from sqlalchemy import text

from portal.extensions import db
from portal.queue import redis_connection

READY_CHECK_SECONDS = 1.5


def init_app(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        checks = run_checks({"database": _database_answers, "redis": _redis_answers},
                            current_app._get_current_object(), READY_CHECK_SECONDS)
        ready = all(value == "ok" for value in checks.values())
        return jsonify(status="ok" if ready else "unavailable", **checks), 200 if ready else 503


def run_checks(checks: dict, app: Flask, seconds: float) -> dict[str, str]:
    """Run each check in a thread of its own; "ok", "error: <kind>", or "timeout" after `seconds`."""
    results: dict[str, str] = {}

    def run(name, check):
        try:
            with app.app_context():
                check()
            results[name] = "ok"
        except Exception as error:  # report, don't crash: this page exists to say what is down
            results[name] = f"error: {type(error).__name__}"

    threads = [threading.Thread(target=run, args=(name, check), daemon=True, name=f"readyz-{name}")
               for name, check in checks.items()]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return {name: results.get(name, "timeout") for name in checks}


def _database_answers() -> None:
    db.session.execute(text("SELECT 1"))


def _redis_answers() -> None:
    redis_connection().ping()
