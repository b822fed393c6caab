"""Counts for reports and the dashboard: the requests still held, plus the anonymous counts that the
purge of personal data kept of those it removed (`portal.retention`), so totals do not shrink when
old requests go."""

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from portal.clock import local_date
from portal.extensions import db
from portal.models import PurgedRequestCount, SignupRequest
from portal.programs import current_program

#: What requests can be counted by: answers, outcome, and the (program-local) days of their milestones.
DIMENSIONS = ("signed_up_on", "state", "preferred_language", "employment_status", "covid_related", "layoff_notice",
              "agency_staff", "decision_reason", "removal_reason", "invited_on", "invited_within_promise",
              "enrolled_on", "completed_on", "removed_on")
#: The case-management activities, by the day column that says when each happened.
ACTIVITY_DAYS = {"invited": "invited_on", "enrolled": "enrolled_on", "completed": "completed_on",
                 "removed": "removed_on"}

_LIVE_COLUMNS = (SignupRequest.created_at, SignupRequest.state, SignupRequest.preferred_language,
                 SignupRequest.employment_status, SignupRequest.covid_related, SignupRequest.layoff_notice,
                 SignupRequest.agency_staff, SignupRequest.decision_reason, SignupRequest.removal_reason,
                 SignupRequest.invited_at, SignupRequest.enrolled_at, SignupRequest.completed_at,
                 SignupRequest.removed_at)


def anonymous_kind(signup) -> dict:
    """What a request is counted by (`DIMENSIONS`): its answers and the days of its milestones, nothing
    that names the person. `signup` is a request, or a row with the same columns."""
    promise = timedelta(hours=current_app.config["ACTIVATION_SLA_HOURS"])
    invited_at = signup.invited_at
    return {
        "signed_up_on": local_date(signup.created_at),
        "state": signup.state,
        "preferred_language": signup.preferred_language,
        "employment_status": signup.employment_status,
        "covid_related": signup.covid_related,
        "layoff_notice": signup.layoff_notice,
        "agency_staff": signup.agency_staff,
        "decision_reason": signup.decision_reason,
        "removal_reason": signup.removal_reason,
        "invited_on": _day(invited_at),
        "invited_within_promise": invited_at - signup.created_at <= promise if invited_at else None,
        "enrolled_on": _day(signup.enrolled_at),
        "completed_on": _day(signup.completed_at),
        "removed_on": _day(signup.removed_at),
    }


def request_counts(by: Sequence[str]) -> Counter:
    """How many of the program's requests there are (and were) for each combination of `by`, e.g.
    `request_counts(["signed_up_on", "preferred_language"])[(date(2026, 3, 2), "es")]`."""
    unknown = set(by) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"Cannot count requests by {', '.join(sorted(unknown))}")
    counts = Counter()
    for kind, count in _kinds_with_counts():
        counts[tuple(kind[name] for name in by)] += count
    return counts


def activity_counts() -> Counter:
    """How many invitations, enrolments, completions and removals happened on each day:
    `activity_counts()[("enrolled", date(2026, 3, 4))]`."""
    counts = Counter()
    for kind, count in _kinds_with_counts():
        for activity, day_column in ACTIVITY_DAYS.items():
            if kind[day_column] is not None:
                counts[(activity, kind[day_column])] += count
    return counts


def _kinds_with_counts():
    program = current_program()
    for row in db.session.execute(select(*_LIVE_COLUMNS).where(SignupRequest.program == program.code)):
        yield anonymous_kind(row), 1
    for purged in db.session.scalars(select(PurgedRequestCount).where(PurgedRequestCount.program == program.code)):
        yield {name: getattr(purged, name) for name in DIMENSIONS}, purged.request_count


def _day(moment) -> date | None:
    return local_date(moment) if moment else None
