"""The commands that run the RQ side: `flask --app wsgi worker`, `scheduler` and `sweep`.

They are registered through the `flask.commands` entry point (pyproject.toml), so the app package
never imports its own worker: the layers run one way, from `jobs` down to `portal`.
"""

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run an RQ worker (with RQ's scheduler for delayed retries) for the portal's queue."""
    from jobs.context import use_app
    from jobs.worker import PortalWorker
    from portal.queue import job_queue, redis_connection

    use_app(current_app._get_current_object())
    worker = PortalWorker([job_queue()], connection=redis_connection())
    worker.work(with_scheduler=True, burst=burst)


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
