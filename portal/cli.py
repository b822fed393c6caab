"""`flask --app wsgi …` commands: staff accounts, the worker, the scheduler, the sweep, demo data."""

import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import StaffRole, StaffUser


def init_app(app: Flask) -> None:
    for command in (create_staff_command, dev_staff_command, sweep_command, worker_command, scheduler_command,
                    demo_data_command):
        app.cli.add_command(command)


@click.command("create-staff")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice([role.value for role in StaffRole]), default=StaffRole.HELPDESK.value)
@click.password_option(help="Asked for when not given (or set STAFF_PASSWORD).", envvar="STAFF_PASSWORD")
def create_staff_command(email: str, role: str, password: str) -> None:
    """Create a staff account that can sign in at /admin/login."""
    from portal.staff import StaffExists, create_staff

    try:
        staff = create_staff(email, password, StaffRole(role))
    except StaffExists:
        raise click.ClickException(f"A staff account for {email} already exists.") from None
    click.echo(f"Created {staff.role} account {staff.email}.")


@click.command("dev-staff")
@with_appcontext
def dev_staff_command() -> None:
    """Create a development admin on first run and print its login (used by `make run`)."""
    from portal.staff import create_staff

    login_file = Path(current_app.instance_path) / "dev-staff-login.txt"
    if db.session.scalar(select(func.count()).select_from(StaffUser)):
        if login_file.exists():
            click.echo(login_file.read_text().strip())
        return
    password = secrets.token_urlsafe(12)
    create_staff("dev@localhost", password, StaffRole.ADMIN)
    login_file.write_text(f"Staff login for development: dev@localhost / {password}\n")
    click.echo(login_file.read_text().strip())


@click.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Enqueue every sign-up and email the database says is waiting."""
    from portal.sweep import enqueue_waiting_work

    report = enqueue_waiting_work()
    click.echo(f"Waiting: {report.activations} activations, {report.emails} emails.")
    if report.not_enqueued:
        raise click.ClickException(f"{report.not_enqueued} could not be enqueued: is Redis at "
                                   f"{current_app.config['REDIS_URL']} up?")


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run an RQ worker (with RQ's scheduler for delayed retries) for the portal's queue."""
    from jobs.context import use_app
    from portal.queue import job_queue, redis_connection
    from portal.worker import PortalWorker

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


@click.command("demo-data")
@with_appcontext
@click.argument("count", type=int)
def demo_data_command(count: int) -> None:
    """Add COUNT realistic fake sign-up requests, spread over the last five days."""
    from portal.demo import add_demo_requests

    with click.progressbar(length=count, label="Adding requests") as progress:
        add_demo_requests(count, progress=progress.update)
    click.echo(f"Added {count} requests.")
