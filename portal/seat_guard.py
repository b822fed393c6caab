"""The seat guard: when sign-ups arrive far faster than any launch has seen, a script is the likelier
cause, so requests the rules approve wait for a person instead of taking seats.

The rate is the program's (`[seat_guard]` in its file). It is counted from the database, the
record every web process shares, so the guard holds across processes and without Redis (each
process counts again at most every second, adding its own sign-ups in between). It lifts
by itself once the rate falls; the requests it held stay in review for staff to approve or deny.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import RequestState, SignupRequest, utcnow
from portal.programs import Program, current_program

SEAT_GUARD_HOLD = "seat_guard"
#: How long a web process goes on from its last count of recent sign-ups (adding its own).
RECOUNT_INTERVAL = timedelta(seconds=1)


@dataclass(frozen=True)
class SeatGuardStatus:
    """What staff see in the banner (and the dashboard)."""

    on: bool
    recent_signups: int
    max_signups: int
    window_minutes: int
    #: Requests the guard held that still wait for a staff member.
    held_requests: int


def recent_signups(program: Program, now: datetime | None = None, *, up_to: int | None = None) -> int:
    """Sign-ups in the guard's window; with `up_to`, counting stops there (a flood costs no more to count)."""
    since = (now or utcnow()) - timedelta(minutes=program.seat_guard.window_minutes)
    recent = select(SignupRequest.id).where(SignupRequest.program == program.code, SignupRequest.created_at >= since)
    if up_to is not None:
        recent = recent.limit(up_to)
    return db.session.scalar(select(func.count()).select_from(recent.subquery()))


def seat_guard_hold_note(program: Program) -> str | None:
    """Why a new approved request must wait (for the history staff read), or None if it need not."""
    guard = program.seat_guard
    count = _recent_signups_as_this_process_knows(program)
    if count < guard.max_signups:
        return None
    return (f"Seat guard: {count} sign-ups in the last {guard.window_minutes} minutes, more than the "
            f"{guard.max_signups} any launch has seen; possibly a script. Check that this is a real person "
            "before approving.")


def _recent_signups_as_this_process_knows(program: Program) -> int:
    """`recent_signups`, counted in the database at most every RECOUNT_INTERVAL by each web process,
    plus one for each sign-up it asked for since (each is about to be saved). Counting on every
    sign-up cost more than the rest of it once thousands had arrived in the window (bench/); the
    guard still trips within RECOUNT_INTERVAL of a flood, and exactly on time within one process."""
    counts = current_app.extensions.setdefault("seat_guard_counts", {})
    now = utcnow()
    counted_at, count = counts.get(program.code, (None, 0))
    if counted_at is None or not timedelta(0) <= now - counted_at < RECOUNT_INTERVAL:
        counted_at, count = now, recent_signups(program, now, up_to=program.seat_guard.max_signups)
    counts[program.code] = (counted_at, count + 1)
    return count


def seat_guard_status(program: Program | None = None) -> SeatGuardStatus:
    program = program or current_program()
    held = db.session.scalar(
        select(func.count()).select_from(SignupRequest).where(
            SignupRequest.program == program.code,
            SignupRequest.state == RequestState.NEEDS_REVIEW,
            SignupRequest.hold_reason == SEAT_GUARD_HOLD,
        )
    )
    count = recent_signups(program)
    return SeatGuardStatus(
        on=count >= program.seat_guard.max_signups,
        recent_signups=count,
        max_signups=program.seat_guard.max_signups,
        window_minutes=program.seat_guard.window_minutes,
        held_requests=held,
    )
