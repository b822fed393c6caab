"""`flask --app wsgi …` commands: staff accounts, demo data, local areas, the provider's and the case-management
system's files, the provider's activity report, and the purge of expired personal data. (The
worker, the scheduler and the sweep are `jobs.cli`'s.)"""

import os
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import StaffRole, StaffUser


def init_app(app: Flask) -> None:
    for command in (create_staff_command, set_staff_password_command, disable_staff_command, dev_staff_command,
                    demo_data_command, assign_local_areas_command, export_provider_command, export_case_report_command,
                    import_activity_command, purge_expired_command):
        app.cli.add_command(command)


@click.command("create-staff")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice([role.value for role in StaffRole]), default=StaffRole.HELPDESK.value)
@click.password_option(help="Asked for when not given (or set STAFF_PASSWORD).", envvar="STAFF_PASSWORD")
def create_staff_command(email: str, role: str, password: str) -> None:
    """Create a staff account that can sign in at /admin/login (a password of 12 characters or more
    that is not a common one)."""
    from portal.staff import StaffExists, WeakPassword, create_staff

    try:
        staff = create_staff(email, password, StaffRole(role))
    except StaffExists:
        raise click.ClickException(f"A staff account for {email} already exists.") from None
    except WeakPassword as weak:
        raise click.ClickException(f"Password not accepted: {weak}") from None
    click.echo(f"Created {staff.role} account {staff.email}.")


def _staff_account(email: str):
    from portal.staff import find_staff

    staff = find_staff(email)
    if staff is None:
        raise click.ClickException(f"There is no staff account for {email}.")
    return staff


@click.command("set-staff-password")
@with_appcontext
@click.argument("email")
@click.password_option(help="Asked for when not given (or set STAFF_PASSWORD).", envvar="STAFF_PASSWORD")
def set_staff_password_command(email: str, password: str) -> None:
    """Give a staff account a new password; every session it has ends."""
    from portal.staff import WeakPassword, set_password

    staff = _staff_account(email)
    try:
        set_password(staff, password)
    except WeakPassword as weak:
        raise click.ClickException(f"Password not accepted: {weak}") from None
    click.echo(f"New password set for {staff.email}; its sessions have ended.")


@click.command("disable-staff")
@with_appcontext
@click.argument("email")
def disable_staff_command(email: str) -> None:
    """Stop a staff account from signing in, and end every session it has now."""
    from portal.staff import disable_staff

    staff = _staff_account(email)
    disable_staff(staff)
    click.echo(f"Disabled {staff.email}; its sessions have ended.")


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


@click.command("demo-data")
@with_appcontext
@click.argument("count", type=click.IntRange(min=1))
@click.option("--seed", type=int, default=None, help="The same seed gives the same people (on the same database).")
@click.option("--days", type=click.IntRange(min=1), default=5, show_default=True,
              help="Spread the sign-ups over this many days, up to now.")
def demo_data_command(count: int, seed: int | None, days: int) -> None:
    """Add COUNT realistic fake sign-up requests, with their history and emails (never in production)."""
    import time

    from portal.demo import add_demo_requests

    began = time.monotonic()
    with click.progressbar(length=count, label="Adding requests") as progress:
        report = add_demo_requests(count, progress=progress.update, seed=seed, days=days)
    states = ", ".join(f"{state} {number:,}" for state, number in report.states.most_common())
    click.echo(f"Added {report.requests:,} requests ({states}), {report.events:,} history rows and "
               f"{report.emails:,} emails; {report.seats:,} seats taken; {time.monotonic() - began:.1f} s.")


@click.command("assign-local-areas")
@with_appcontext
def assign_local_areas_command() -> None:
    """Give every request the local area its ZIP code is in now (after the program file's
    `[local_areas]` changed); safe to run again."""
    from portal.local_areas import assign_local_areas, count_program_requests

    with click.progressbar(length=count_program_requests(), label="Checking requests") as progress:
        report = assign_local_areas(progress=progress.update)
    click.echo(report.summary())


def _yesterday() -> date:
    from portal.clock import program_today

    return program_today() - timedelta(days=1)


def _day_option(*names: str, help_text: str):
    return click.option(*names, type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help=help_text)


@click.command("export-provider")
@with_appcontext
@_day_option("--date", "day", help_text="The program-local day whose invitations to list (default: yesterday).")
def export_provider_command(day: datetime | None) -> None:
    """Make the provider's file of the learners invited on one day, and write it to EXPORT_DIR."""
    from portal.exports import count_provider_rows, export_provider_file

    day = day.date() if day else _yesterday()
    with click.progressbar(length=count_provider_rows(day), label=f"Learners invited on {day}") as progress:
        result = export_provider_file(day, progress=progress.update)
    _write_export(result)


@click.command("export-case-report")
@with_appcontext
@_day_option("--from", "start", help_text="First program-local day of the period (default: yesterday).")
@_day_option("--to", "end", help_text="Last program-local day of the period, included (default: yesterday).")
def export_case_report_command(start: datetime | None, end: datetime | None) -> None:
    """Make the case-management report of the activities in a period, and write it to EXPORT_DIR."""
    from portal.exports import count_case_report_rows, export_case_report

    start = start.date() if start else _yesterday()
    end = end.date() if end else _yesterday()
    if start > end:
        raise click.BadParameter(f"--from {start} comes after --to {end}.")
    with click.progressbar(length=count_case_report_rows(start, end), label=f"Activities {start} to {end}") as progress:
        result = export_case_report(start, end, progress=progress.update)
    _write_export(result)


def _write_export(result) -> None:
    """Write the file next to its earlier versions; a reader never sees half a file (rename is atomic)."""
    directory = Path(current_app.config["EXPORT_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / result.filename
    partial = path.with_name(f".{result.filename}.partial")
    partial.write_text(result.content, encoding="utf-8", newline="")
    os.replace(partial, path)
    click.echo(f"{path}: {result.row_count} row{'' if result.row_count == 1 else 's'}, {result.status}.")


@click.command("import-activity")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_activity_command(file: Path) -> None:
    """Apply the provider's activity report (CSV): every row, or none if any row has a problem."""
    from portal.activity_import import count_activity_rows, import_activity

    data = file.read_bytes()
    with click.progressbar(length=count_activity_rows(data), label=f"Reading {file.name}") as progress:
        report = import_activity(data, source_name=file.name, progress=progress.update)
    for note in report.notes:
        click.echo(note)
    if report.errors:
        for error in report.errors:
            click.echo(error, err=True)
        raise click.ClickException(f"{len(report.errors)} problems in {file.name}: nothing was changed.")
    click.echo(report.summary())


@click.command("purge-expired")
@with_appcontext
def purge_expired_command() -> None:
    """Delete the personal data whose retention period is over (program file: retention_days)."""
    from portal.programs import current_program
    from portal.retention import purge_expired

    report = purge_expired(actor="purge-expired command")
    click.echo(f"Purged {report.requests} requests and {report.export_files} export files whose "
               f"{current_program().retention_days}-day retention period was over; their counts are kept.")
