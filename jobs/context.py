"""How a job gets its Flask app: built once, by `flask --app wsgi worker` before it forks its
worker process, and then used by every job that process runs.

A job that called `create_app()` itself would rebuild the app for every job (ten times slower,
JOBS.md). Each job gets a fresh app context instead, so a fresh database session, over the
connections the process keeps in its pool.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

_app: Flask | None = None


def portal_app() -> Flask:
    global _app
    if _app is None:
        from portal import create_app

        use_app(create_app())
    return _app


def use_app(app: Flask) -> None:
    """Run jobs against this app (the worker's own, or a test's)."""
    global _app
    _app = app


def _forget_inherited_connections() -> None:
    """A forked process (a worker process, RQ's scheduler) must not share its parent's database sockets."""
    if _app is not None:
        from portal.extensions import db

        with _app.app_context():
            db.engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_connections)


@contextmanager
def job_context() -> Iterator[Flask]:
    """A fresh app context (and so a fresh database session) for one job."""
    app = portal_app()
    with app.app_context():
        yield app
