"""Workers killed again and again (SIGKILL, real `flask --app wsgi worker` processes): the sweep
survives what RQ is left with, and a new worker takes over the delayed retries within a minute.

The issue's run: a worker killed three times in 5 s left `flask sweep` exiting 1 ("Execution … not
found in Redis": RQ 3.0 lists a job's executions 60 s longer than it keeps them), and retries due
at 02:54 ran at 03:00:57, because the dead worker's scheduler lock lived on for a minute and the
next worker only looked again at its ten-minute upkeep.
"""

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rq.registry import ScheduledJobRegistry
from rq.scheduler import RQScheduler

from jobs.cli import sweep_command
from jobs.sweep import sweep
from portal import seats
from portal.extensions import db
from portal.models import EmailStatus, OutboundEmail, RequestState, SignupRequest
from portal.programs import current_program
from portal.queue import job_queue, redis_connection
from tests.factories import make_signup
from tests.jobs.workers import ON_POSTGRESQL, sent
from tests.processes import wait_until

TRY_LATER = "451 4.3.0 Try again later"
#: Between RQ's heartbeat TTL of a dead job (90 s) and the end of its execution list (150 s).
WHILE_RQ_LISTS_EXPIRED_EXECUTIONS = timedelta(seconds=120)


@pytest.fixture
def redis_url(private_redis_url):
    """Our own Redis: these workers must run this test's jobs, not another test run's."""
    return private_redis_url


def kill_workers_mid_activation(start_worker, seat_pool_lock, count: int) -> float:
    """Start a worker, let it block in an activation at the seat pool, kill it; `count` times in a row.
    Returns how long the killing took."""
    started = time.monotonic()
    blocked: set[int] = set()
    for _ in range(count):
        worker = start_worker()
        blocked.add(seat_pool_lock.wait_for_blocked_activation(frozenset(blocked)))
        worker.kill()
    took = time.monotonic() - started
    seat_pool_lock.release()
    for backend in blocked:
        seat_pool_lock.wait_for_session_end(backend)
    return took


def expire_executions(app, request_ids: list[int]) -> None:
    """What Redis does 90 s after the kill, without the wait: each dead activation's execution hash
    reaches the end of its TTL (RQ's execution list keeps naming it for another minute)."""
    with app.app_context():
        connection = redis_connection()
        keys = [key for request_id in request_ids
                for key in connection.scan_iter(match=f"rq:execution:activate-{request_id}:*")]
        assert len(keys) == len(request_ids)
        for key in keys:
            connection.pexpire(key, 1)
        wait_until(lambda: not any(connection.exists(key) for key in keys), timeout=5, what="the hashes to expire")


def assert_each_invited_once(app, smtp, request_ids: list[int]) -> None:
    with app.app_context():
        signups = [db.session.get(SignupRequest, request_id) for request_id in request_ids]
        for signup in signups:
            assert signup.state == RequestState.INVITED
            assert [event.to_state for event in signup.events].count("invited") == 1
        assert seats.seats_taken(current_program()) == len(request_ids)
        expected = {(signup.email, kind): 1 for signup in signups for kind in ("confirmation", "invitation")}
    assert sent(smtp.messages) == expected


@ON_POSTGRESQL
def test_worker_killed_three_times_in_a_row_then_flask_sweep_recovers_and_exits_0(
    app, runner, smtp, start_worker, seat_pool_lock, caplog
):
    with app.app_context():
        request_ids = [make_signup(email=f"worker{number}@example.com").id for number in range(3)]
    took = kill_workers_mid_activation(start_worker, seat_pool_lock, 3)
    print(f"three workers killed mid-activation in {took:.1f} s")
    expire_executions(app, request_ids)

    caplog.set_level(logging.WARNING, logger="portal.queue")
    with time_machine.travel(datetime.now(UTC) + WHILE_RQ_LISTS_EXPIRED_EXECUTIONS):
        result = runner.invoke(sweep_command)

    assert result.exit_code == 0, result.output
    assert "Waiting: 3 activations, 0 emails." in result.output
    assert caplog.text.count("forgetting its expired executions") == 3  # logged, not fatal
    with app.app_context():
        assert sorted(job_queue().job_ids) == sorted(f"activate-{request_id}" for request_id in request_ids)

    start_worker().wait_for_success()
    assert_each_invited_once(app, smtp, request_ids)


@ON_POSTGRESQL
def test_the_sweep_job_survives_the_same_and_enqueues_the_work(app, smtp, start_worker, seat_pool_lock, caplog):
    with app.app_context():
        request_ids = [make_signup().id]
    kill_workers_mid_activation(start_worker, seat_pool_lock, 1)
    expire_executions(app, request_ids)

    caplog.set_level(logging.WARNING, logger="portal.queue")
    with time_machine.travel(datetime.now(UTC) + WHILE_RQ_LISTS_EXPIRED_EXECUTIONS):
        assert sweep() == "1 activations, 0 emails"
    assert "Execution" in caplog.text and "not found in Redis" in caplog.text

    start_worker().wait_for_success()
    assert_each_invited_once(app, smtp, request_ids)


@ON_POSTGRESQL
def test_a_new_worker_sends_the_retries_of_a_killed_one_within_a_minute(app, smtp, start_worker):
    with app.app_context():
        email_id = make_signup(employment_status="employed", layoff_notice="no").emails[0].id  # one email
        scheduled = ScheduledJobRegistry(queue=job_queue())
        lock_key = RQScheduler.get_locking_key(app.config["RQ_QUEUE"])
        connection = redis_connection()
    smtp.refuse_next(TRY_LATER)  # its first try: retried 10 s later by RQ's scheduler

    first = start_worker(burst=False)
    wait_until(lambda: scheduled.get_job_ids() == [f"email-{email_id}"], timeout=60, what="the retry to be scheduled")
    assert connection.get(lock_key), "the first worker runs RQ's scheduler"
    first.kill()  # before the retry is due: its scheduler lock stays behind
    killed = time.monotonic()

    second = start_worker(burst=False)

    def email_sent():
        with app.app_context():
            return db.session.get(OutboundEmail, email_id).status == EmailStatus.SENT

    wait_until(email_sent, timeout=90, what="the retry to be sent by the new worker")
    took = time.monotonic() - killed
    print(f"the retry was sent {took:.0f} s after the worker holding the scheduler was killed")
    assert took < 60, f"the new worker took over the retries {took:.0f} s after the old one was killed"
    assert "taking over" in second.output()
    assert len(smtp.messages) == 1
