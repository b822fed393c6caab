from datetime import datetime, timedelta

import time_machine
from rq.cron import CronScheduler

from jobs.schedule import PERIODIC_JOBS, register_schedule
from jobs.sweep import sweep
from portal.models import RequestState, SignupRequest
from portal.queue import job_queue, redis_connection
from tests.factories import make_signup


def test_the_scheduler_enqueues_the_periodic_jobs_which_do_the_waiting_work(app, run_jobs, smtp):
    with app.app_context():
        make_signup()
        redis_connection().flushdb()  # as if Redis had lost everything
        scheduler = CronScheduler(connection=redis_connection())
        register_schedule(scheduler, app.config["RQ_QUEUE"])
        enqueued = scheduler.enqueue_jobs()
        # Interval jobs run at once; the daily export waits for its hour.
        assert [job.func_name for job in enqueued] == [job.function for job in PERIODIC_JOBS if job.every_seconds]
        assert job_queue().count == len(enqueued)
    run_jobs()  # the sweep, then what it enqueued
    with app.app_context():
        assert SignupRequest.query.one().state == RequestState.INVITED
    assert len(smtp.messages) == 2


def enqueued_before_and_when_due(app, function: str, due: datetime, before: timedelta) -> tuple[bool, bool]:
    """Whether RQ's cron scheduler enqueues `function` some time `before` it is due, and when it is due."""
    with app.app_context():
        with time_machine.travel(due - before, tick=False):
            scheduler = CronScheduler(connection=redis_connection())
            register_schedule(scheduler, app.config["RQ_QUEUE"])
            early = function in [job.func_name for job in scheduler.enqueue_jobs()]
        with time_machine.travel(due, tick=False):
            return early, function in [job.func_name for job in scheduler.enqueue_jobs()]


def test_the_provider_export_is_enqueued_at_its_minute_of_the_hour(app):
    export = next(job for job in PERIODIC_JOBS if job.cron)
    assert export.function == "jobs.exports.export_provider_files"
    minute = int(export.cron.split()[0])
    due = (datetime.now() + timedelta(hours=1)).replace(minute=minute, second=5, microsecond=0)
    assert enqueued_before_and_when_due(app, export.function, due, timedelta(minutes=30)) == (False, True)


def test_every_periodic_job_says_when_and_why():
    for job in PERIODIC_JOBS:
        assert bool(job.every_seconds) != bool(job.cron), job.function
        assert len(job.why) > 20, job.function
        assert job.when == (f"every {job.every_seconds} s" if job.every_seconds else f"cron {job.cron}")


def test_sweep_job_reports_what_it_found(app):
    with app.app_context():
        make_signup()
    assert sweep() == "1 activations, 0 emails"  # its confirmation goes with its activation


def test_the_purge_of_expired_personal_data_is_enqueued_daily_at_its_hour(app):
    purge = next(job for job in PERIODIC_JOBS if job.function == "jobs.retention.purge_expired")
    minute, hour = (int(field) for field in purge.cron.split()[:2])
    due = (datetime.now() + timedelta(days=1)).replace(hour=hour, minute=minute, second=5, microsecond=0)
    assert enqueued_before_and_when_due(app, purge.function, due, timedelta(hours=12)) == (False, True)
