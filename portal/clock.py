"""Dates as the program's people see them.

We store naive UTC; deadlines and "which day" questions are answered in the program's own time
zone (PORTAL_TIMEZONE), so "join by 31 October" ends at midnight in New York, not in London.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from portal.models import utcnow


def program_timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_date(moment: datetime) -> date:
    """The program-local calendar day of a stored (naive UTC) moment."""
    return moment.replace(tzinfo=UTC).astimezone(program_timezone()).date()


def program_today() -> date:
    return local_date(utcnow())


def start_of_local_day(day: date) -> datetime:
    """The naive UTC moment a program-local day begins."""
    local = datetime.combine(day, time.min, tzinfo=program_timezone())
    return local.astimezone(UTC).replace(tzinfo=None)


def end_of_local_day(day: date) -> datetime:
    """The naive UTC moment a program-local day is over (the next one begins)."""
    return start_of_local_day(day + timedelta(days=1))
