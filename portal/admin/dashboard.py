"""The program dashboard's figures, each computed by aggregate SQL (one pass over the program's
requests for the counts, one over the last 30 days for the promise and the time to invitation, one
over the last 60 days for the sign-ups per day), never by loading requests.

Every query goes through `visible_to`, so a staff member limited to some local areas sees the figures
of those areas only; seats are the program's, one pool for every area.

At a million requests the three passes take longer than a page should, so the figures are kept for
`DASHBOARD_CACHE_SECONDS` (per process, per set of areas) and the page says when they were counted.
"""

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import Select, case, func, literal, select

from portal.admin.queries import activation_deadline, visible_to
from portal.clock import local_date, program_timezone, start_of_local_day
from portal.extensions import db
from portal.models import PENDING_STATES, RequestState, SignupRequest, StaffUser, utcnow
from portal.programs import current_program
from portal.seats import seats_taken

#: How long counted figures are shown before they are counted again (the app's setting overrides it).
DASHBOARD_CACHE_SECONDS = 60
#: The chart's and the table's days, today included.
SIGNUP_DAYS = 60
PROMISE_WINDOWS_DAYS = (7, 30)
#: The time from sign-up to invitation is measured over the requests signed up in these last days.
TIME_TO_INVITATION_DAYS = 30


@dataclass(frozen=True)
class PromiseShare:
    """Of the requests signed up in the last `days` days whose promise has come due (invited, or
    still not invited after ACTIVATION_SLA_HOURS), how many were invited within the promise."""

    days: int
    counted: int
    kept: int

    @property
    def percent(self) -> float | None:
        return 100 * self.kept / self.counted if self.counted else None


@dataclass(frozen=True)
class DaySignups:
    day: date
    count: int


@dataclass(frozen=True)
class DashboardFigures:
    #: When the figures were counted (naive UTC).
    counted_at: datetime
    by_state: dict[str, int]
    #: (local area code or None, how many), largest first.
    by_area: list[tuple[str | None, int]]
    #: (language code, how many), largest first.
    by_language: list[tuple[str, int]]
    promise_shares: list[PromiseShare]
    #: Of the requests signed up in the last 30 days and invited since.
    invited_recently: int
    median_hours_to_invitation: float | None
    percentile_95_hours_to_invitation: float | None
    seat_cap: int
    seats_taken: int
    #: Oldest first, every day of the last 60 (days without sign-ups count 0).
    signups_per_day: list[DaySignups] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def waitlist_length(self) -> int:
        return self.by_state.get(RequestState.WAITLISTED, 0)

    @property
    def seats_left(self) -> int:
        return max(self.seat_cap - self.seats_taken, 0)

    @property
    def busiest_day_count(self) -> int:
        return max((day.count for day in self.signups_per_day), default=0)


# --- The figures ------------------------------------------------------------------------------

def dashboard_figures(staff: StaffUser) -> DashboardFigures:
    """The figures this staff member may see, counted at most DASHBOARD_CACHE_SECONDS ago."""
    seconds = current_app.config.get("DASHBOARD_CACHE_SECONDS", DASHBOARD_CACHE_SECONDS)
    if seconds <= 0:
        return count_dashboard_figures(staff)
    cache = current_app.extensions.setdefault("portal_dashboard_cache", _FiguresCache())
    key = (current_program().code, tuple(sorted(staff.limited_to_areas or ())))
    return cache.get_or_count(key, seconds, lambda: count_dashboard_figures(staff))


def count_dashboard_figures(staff: StaffUser) -> DashboardFigures:
    """The figures, counted now."""
    program = current_program()
    now = utcnow()
    breakdown = requests_by_state_area_and_language(staff)
    by_state, by_area, by_language = Counter(), Counter(), Counter()
    for (state, area, language), count in breakdown.items():
        by_state[state] += count
        by_area[area] += count
        by_language[language] += count
    hours = time_to_invitation_hours(staff, now)
    return DashboardFigures(
        counted_at=now,
        by_state=dict(by_state),
        by_area=_largest_first(by_area),
        by_language=_largest_first(by_language),
        promise_shares=promise_shares(staff, now),
        invited_recently=hours.count,
        median_hours_to_invitation=hours.median,
        percentile_95_hours_to_invitation=hours.percentile_95,
        seat_cap=program.seat_cap,
        seats_taken=seats_taken(program),
        signups_per_day=signups_per_day(staff, now),
    )


def _program_requests(staff: StaffUser, *columns) -> Select:
    return visible_to(select(*columns).where(SignupRequest.program == current_program().code), staff)


def requests_by_state_area_and_language(staff: StaffUser) -> dict[tuple[str, str | None, str], int]:
    """How many requests there are of each (state, local area, language): one GROUP BY, from which
    the counts by state, by area and by language are added up."""
    query = _program_requests(staff, SignupRequest.state, SignupRequest.local_area, SignupRequest.preferred_language,
                              func.count()).group_by(SignupRequest.state, SignupRequest.local_area,
                                                     SignupRequest.preferred_language)
    return {(state, area, language): count for state, area, language, count in db.session.execute(query)}


def _hours_between(start, end):
    """`end - start` in hours, in SQL (NULL when either is)."""
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def promise_shares(staff: StaffUser, now: datetime | None = None) -> list[PromiseShare]:
    """The share invited within the promise, for each of PROMISE_WINDOWS_DAYS, in one query."""
    now = now or utcnow()
    promise_hours = current_app.config["ACTIVATION_SLA_HOURS"]
    deadline = activation_deadline(now)
    invited = SignupRequest.invited_at.is_not(None)
    came_due = invited | (SignupRequest.state.in_(PENDING_STATES) & (SignupRequest.created_at < deadline))
    kept = invited & (_hours_between(SignupRequest.created_at, SignupRequest.invited_at) <= promise_hours)
    columns = []
    for days in PROMISE_WINDOWS_DAYS:
        recent = SignupRequest.created_at >= now - timedelta(days=days)
        columns += [func.sum(case((recent & came_due, 1), else_=0)), func.sum(case((recent & kept, 1), else_=0))]
    longest = max(PROMISE_WINDOWS_DAYS)
    row = db.session.execute(_program_requests(staff, *columns).where(
        SignupRequest.created_at >= now - timedelta(days=longest))).one()
    return [PromiseShare(days=days, counted=int(row[2 * index] or 0), kept=int(row[2 * index + 1] or 0))
            for index, days in enumerate(PROMISE_WINDOWS_DAYS)]


@dataclass(frozen=True)
class HoursToInvitation:
    count: int
    median: float | None
    percentile_95: float | None


def time_to_invitation_hours(staff: StaffUser, now: datetime | None = None) -> HoursToInvitation:
    """The median and 95th percentile of the hours from sign-up to invitation, over the requests signed
    up in the last TIME_TO_INVITATION_DAYS days and invited since (percentile_cont: interpolated)."""
    now = now or utcnow()
    hours = _hours_between(SignupRequest.created_at, SignupRequest.invited_at)
    since = now - timedelta(days=TIME_TO_INVITATION_DAYS)
    query = _program_requests(staff, hours).where(SignupRequest.created_at >= since,
                                                  SignupRequest.invited_at.is_not(None))
    if db.engine.dialect.name == "postgresql":
        count, median, percentile_95 = db.session.execute(query.with_only_columns(
            func.count(), func.percentile_cont(0.5).within_group(hours),
            func.percentile_cont(0.95).within_group(hours))).one()
        return HoursToInvitation(count, _float(median), _float(percentile_95))
    values = sorted(float(value) for value in db.session.scalars(query))
    return HoursToInvitation(len(values), continuous_percentile(values, 0.5), continuous_percentile(values, 0.95))


def continuous_percentile(sorted_values: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont, for SQLite: the value at `fraction`, between the two nearest."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def signups_per_day(staff: StaffUser, now: datetime | None = None) -> list[DaySignups]:
    """Sign-ups on each program-local day of the last SIGNUP_DAYS, today included, oldest first."""
    now = now or utcnow()
    today = local_date(now)
    first_day = today - timedelta(days=SIGNUP_DAYS - 1)
    since = start_of_local_day(first_day)
    counts: Counter = Counter()
    if db.engine.dialect.name == "postgresql":
        zone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
        local_day = func.date(func.timezone(literal(zone), func.timezone(literal("UTC"), SignupRequest.created_at)))
        query = _program_requests(staff, local_day, func.count()).where(SignupRequest.created_at >= since)
        for day, count in db.session.execute(query.group_by(local_day)):
            counts[day] += count
    else:
        # SQLite knows no time zones: count by UTC hour, then give each hour its local day (the
        # program's zones are offset from UTC by whole hours).
        hour = func.strftime("%Y-%m-%d %H", SignupRequest.created_at)
        query = _program_requests(staff, hour, func.count()).where(SignupRequest.created_at >= since)
        zone = program_timezone()
        for utc_hour, count in db.session.execute(query.group_by(hour)):
            moment = datetime.strptime(utc_hour, "%Y-%m-%d %H").replace(tzinfo=UTC)
            counts[moment.astimezone(zone).date()] += count
    return [DaySignups(first_day + timedelta(days=offset), counts[first_day + timedelta(days=offset)])
            for offset in range(SIGNUP_DAYS)]


def _largest_first(counts: Counter) -> list:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0] or ""))


def _float(value) -> float | None:
    return float(value) if value is not None else None


# --- The chart --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class BarChart:
    """The sign-ups per day as SVG bars, laid out on the server (the page needs no script)."""

    width: int
    height: int
    plot_top: int
    plot_bottom: int
    bar_width: float
    bars: list[Bar]
    #: (y, label) of each horizontal grid line.
    gridlines: list[tuple[float, int]]
    #: (x, day) of the days labelled under the bars.
    day_labels: list[tuple[float, date]]


def signups_chart(days: list[DaySignups], width: int = 720, height: int = 240) -> BarChart:
    left, right, top, bottom = 48, 8, 12, 32
    plot_width, plot_height = width - left - right, height - top - bottom
    scale_top = _nice_ceiling(max((day.count for day in days), default=0))
    slot = plot_width / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        bar_height = plot_height * day.count / scale_top
        bars.append(Bar(day.day, day.count, round(left + index * slot + slot * 0.15, 2),
                        round(top + plot_height - bar_height, 2), round(bar_height, 2)))
    gridlines = [(round(top + plot_height - plot_height * step / 4, 2), scale_top * step // 4) for step in range(5)]
    labelled = range(len(days) - 1, -1, -14)  # today, and every second week before it
    day_labels = [(round(left + index * slot + slot / 2, 2), days[index].day) for index in sorted(labelled)]
    return BarChart(width=width, height=height, plot_top=top, plot_bottom=top + plot_height,
                    bar_width=round(slot * 0.7, 2), bars=bars, gridlines=gridlines, day_labels=day_labels)


def _nice_ceiling(value: int) -> int:
    """The top of the scale: a round number at or above `value`, divisible by 4 for the grid lines."""
    if value <= 4:
        return 4
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 4, 5, 8, 10, 12, 20):
        top = step * magnitude
        if top >= value and top % 4 == 0:
            return top
    return 20 * magnitude


# --- The cache --------------------------------------------------------------------------------

class _FiguresCache:
    """Figures by key for a few seconds; one staff member counts while the others wait for the result."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: dict = {}

    def get_or_count(self, key, seconds: float, count):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and time.monotonic() - entry[0] < seconds:
                return entry[1]
            figures = count()
            self._entries[key] = (time.monotonic(), figures)
            return figures
