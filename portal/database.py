"""How the portal talks to its database: bounded waits, and no applicant data in error messages.

A PostgreSQL that refuses connections fails at once; one that accepts and then says nothing (a
frozen server, a black-holed network) would hold a request until gunicorn kills the worker. So
every wait is bounded by DATABASE_TIMEOUT_SECONDS: connecting (libpq's connect_timeout), waiting
for a pooled connection (pool_timeout), one statement on the server (statement_timeout), and, on
this side, waiting for the server's answer (`DeadlineConnection`, since a silent server cannot
enforce its own statement_timeout). Past it the request gets `DATABASE_UNAVAILABLE` errors, which
the views answer with a 503 page; a transaction cut short was never committed, so nothing is
half-saved.
"""

import math

import psycopg
from psycopg.errors import _WaitTimeout  # what Connection.wait raises when its timeout expires
from sqlalchemy import event, exc, make_url
from sqlalchemy.engine import Engine

#: Errors that mean "the database is not answering now", not "this request is wrong": a 503.
DATABASE_UNAVAILABLE = (exc.OperationalError, exc.TimeoutError)


class DatabaseSilent(psycopg.OperationalError):
    """PostgreSQL did not answer in time; the connection was closed (its state is unknown)."""


class DeadlineConnection(psycopg.Connection):
    """A psycopg connection whose every wait for the server ends after `answer_timeout` seconds.

    psycopg's own `wait` takes a timeout (its docstring: it raises `_WaitTimeout`) but applies none
    by default. Past the deadline the connection is closed, so SQLAlchemy sees a disconnect and
    drops it from the pool instead of handing it to the next request.
    """

    answer_timeout: float | None = None

    def wait(self, gen, *args, timeout=None, **kwargs):
        try:
            return super().wait(gen, *args, timeout=timeout if timeout is not None else self.answer_timeout, **kwargs)
        except _WaitTimeout:
            self.pgconn.finish()
            raise DatabaseSilent(f"PostgreSQL did not answer within {self.answer_timeout} s") from None


def engine_options(config) -> dict:
    """SQLALCHEMY_ENGINE_OPTIONS for the configured database."""
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    # Errors carry the statement but never its values (names, emails, ZIP codes) into the logs.
    options: dict = {"hide_parameters": True}
    if url.get_backend_name() == "sqlite":
        # Web and worker processes share the file: wait for a lock instead of failing at once.
        options["connect_args"] = {"timeout": 30}
    elif url.get_backend_name() == "postgresql":
        seconds = float(config["DATABASE_TIMEOUT_SECONDS"])
        server_options = " ".join(filter(None, [url.query.get("options"),
                                                f"-c statement_timeout={int(seconds * 1000)}"]))
        options["pool_timeout"] = seconds
        options["connect_args"] = {
            "connect_timeout": max(2, math.ceil(seconds)),  # libpq counts whole seconds, at least 2
            "options": server_options,
            "answer_timeout": seconds,  # taken out again by `_connect_with_deadline`
        }
    return options


@event.listens_for(Engine, "do_connect")
def _connect_with_deadline(dialect, _connection_record, cargs, cparams):
    answer_timeout = cparams.pop("answer_timeout", None)
    if answer_timeout is None or dialect.driver != "psycopg":
        return None  # SQLAlchemy connects as usual
    connection = DeadlineConnection.connect(*cargs, **cparams)
    connection.answer_timeout = answer_timeout
    return connection


def lift_timeouts(connection) -> None:
    """No deadline for this connection (migrations may rightly run long statements)."""
    if connection.dialect.name != "postgresql":
        return
    connection.exec_driver_sql("SET statement_timeout = 0")
    connection.commit()  # a session setting: it outlives this transaction
    dbapi_connection = connection.connection.dbapi_connection
    if isinstance(dbapi_connection, DeadlineConnection):
        dbapi_connection.answer_timeout = None


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL lets the web read while a worker writes; SQLite enforces foreign keys only when asked."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
