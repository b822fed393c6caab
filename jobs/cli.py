"""The commands that run the RQ side: `flask --app wsgi worker`, `scheduler` and `sweep`.

They are registered through the `flask.commands` entry point (pyproject.toml), so the app package
never imports its own worker: the layers run one way, from `jobs` down to `portal`.
"""

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from jobs.worker import MAX_JOBS, MAX_MEMORY_MEGABYTES


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--max-jobs", type=click.IntRange(min=1), default=MAX_JOBS, show_default=True,
              help="Replace the worker process after this many jobs.")
@click.option("--max-memory", type=click.IntRange(min=1), default=MAX_MEMORY_MEGABYTES, show_default=True,
              help="Replace the worker process once its resident memory passes this many MB (after its job).")
def worker_command(burst: bool, max_jobs: int, max_memory: int) -> None:
    """Run an RQ worker (with RQ's scheduler for delayed retries) for the portal's queue: jobs run in
    one worker process, which a supervisor replaces after --max-jobs or --max-memory, or if it dies."""
    from jobs.context import use_app
    from jobs.worker import Limits, PortalWorker, supervise, warm_up
    from portal.extensions import mail
    from portal.queue import job_queue, redis_connection

    app = current_app._get_current_object()
    use_app(app)
    warm_up(app)
    limits = Limits(max_jobs=max_jobs, max_memory_bytes=max_memory * 1024 * 1024)

    def run_worker() -> int:
        with app.app_context():
            worker = PortalWorker([job_queue()], connection=redis_connection(), limits=limits)
            try:
                worker.work(with_scheduler=True, burst=burst)
            finally:
                mail.close_kept_connection()
            return worker.exit_code()

    sys.exit(supervise(run_worker, burst=burst))


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the periodic jobs of jobs/schedule.py. Run exactly one of these."""
    from rq.cron import CronScheduler

    from jobs.schedule import register_schedule
    from portal.queue import redis_connection

    scheduler = CronScheduler(connection=redis_connection())
    register_schedule(scheduler, current_app.config["RQ_QUEUE"])
    scheduler.start()


@click.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Enqueue every sign-up and email the database says is waiting."""
    from portal.sweep import enqueue_waiting_work

    report = enqueue_waiting_work()
    click.echo(f"Waiting: {report.activations} activations, {report.emails} emails.")
    if report.stuck_emails:
        click.echo(f"{report.stuck_emails} emails were left half-sent by a stopped worker: marked failed for staff.")
    if report.rq_errors:
        click.echo(f"RQ failed {report.rq_errors} times (logged above); the next sweep tries again.")
    if report.not_enqueued:
        raise click.ClickException(f"{report.not_enqueued} could not be enqueued: is Redis at "
                                   f"{current_app.config['REDIS_URL']} up?")
