from rq.cron import CronScheduler

from jobs.schedule import PERIODIC_JOBS, register_schedule
from jobs.sweep import sweep
from portal.models import RequestState, SignupRequest
from portal.queue import job_queue, redis_connection
from tests.factories import make_signup


def test_the_scheduler_enqueues_the_sweep_which_enqueues_waiting_work(app, run_jobs, smtp):
    with app.app_context():
        make_signup()
        redis_connection().flushdb()  # as if Redis had lost everything
        scheduler = CronScheduler(connection=redis_connection())
        register_schedule(scheduler, app.config["RQ_QUEUE"])
        enqueued = scheduler.enqueue_jobs()
        assert [job.func_name for job in enqueued] == [periodic.function for periodic in PERIODIC_JOBS]
        assert job_queue().count == 1
    run_jobs()  # the sweep, then what it enqueued
    with app.app_context():
        assert SignupRequest.query.one().state == RequestState.INVITED
    assert len(smtp.messages) == 2


def test_sweep_job_reports_what_it_found(app):
    with app.app_context():
        make_signup()
    assert sweep() == "1 activations, 1 emails"
