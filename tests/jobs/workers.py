"""Helpers for the tests that kill workers: what each address received, RQ's view of a job, and a lock
that holds an activation where a test wants it."""

from collections import Counter

import pytest
import sqlalchemy
from rq.job import Job, JobStatus

from portal.queue import redis_connection
from tests.processes import wait_until
from tests.smtp import email_kind

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def sent(messages) -> Counter:
    """How many messages of each kind each address received."""
    return Counter((message["To"], email_kind(message)) for message in messages)


def job_status(job_id: str) -> JobStatus | None:
    connection = redis_connection()
    return Job.fetch(job_id, connection=connection).get_status() if Job.exists(job_id, connection) else None


class SeatPoolLock:
    """The program's seat-pool row, locked by a connection of the test's own, so an activation waits at
    its seat UPDATE, inside its transaction (the request already claimed), until `release()`."""

    def __init__(self, database_uri: str):
        self.engine = sqlalchemy.create_engine(database_uri, poolclass=sqlalchemy.NullPool)
        self.holder = self.engine.connect()
        self.watcher = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.holder_pid = self.holder.scalar(sqlalchemy.text("SELECT pg_backend_pid()"))
        self.holder.execute(sqlalchemy.text("SELECT seats_taken FROM seat_pools WHERE program = 'ny' FOR UPDATE"))

    def wait_for_blocked_activation(self, seen: frozenset[int] = frozenset()) -> int:
        """The PostgreSQL backend of an activation waiting for our lock (not one of those `seen`). A second
        waiter for the row queues behind the first, which PostgreSQL then names as its blocker."""

        def blocked_backend():
            return self.watcher.scalar(sqlalchemy.text(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND pg_blocking_pids(pid) && CAST(:blockers AS integer[]) "
                "AND NOT pid = ANY(CAST(:seen AS integer[]))"),
                {"blockers": [self.holder_pid, *seen], "seen": list(seen)})

        backend = wait_until(blocked_backend, timeout=60, what="an activation to wait on the seat pool")
        query = self.watcher.scalar(sqlalchemy.text("SELECT query FROM pg_stat_activity WHERE pid = :pid"),
                                    {"pid": backend})
        assert "UPDATE seat_pools" in query
        return backend

    def release(self) -> None:
        self.holder.rollback()

    def state_of(self, request_id: int) -> str:
        """A request's committed state, read beside the worker's transaction."""
        return self.watcher.scalar(sqlalchemy.text("SELECT state FROM signup_requests WHERE id = :id"),
                                   {"id": request_id})

    def wait_for_session_end(self, backend: int) -> None:
        def gone():
            return not self.watcher.scalar(
                sqlalchemy.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": backend})

        wait_until(gone, timeout=60, what="PostgreSQL to end the dead worker's session")

    def close(self) -> None:
        self.holder.close()
        self.watcher.close()
        self.engine.dispose()
