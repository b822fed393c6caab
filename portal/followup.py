"""Follow-up after the invitation: reminders, and taking back licenses nobody uses.

`send_due_follow_ups` runs on a schedule (jobs/schedule.py) and works only from what the database
says is due, so running it twice, late, or from two schedulers at once sends nothing twice: every
reminder has an idempotency key naming its occasion, and a removal is a conditional state change.

For an invitation not yet accepted (state "invited"):
- a reminder N days after the invitation, for each N in the program's `not_accepted_reminder_days`
  (only the latest one due, so a scheduler that was down does not send a burst);
- a reminder when the join-by date is `enroll_by_warning_days` away (instead of the above);
- after the join-by date: removal ("not_accepted").
For an enrolled or active learner, counting from the last activity the provider reported (or the
enrolment): a reminder after `inactivity_reminder_days`, removal ("inactive") after
`inactivity_removal_days`, but never sooner than the gap between the two after the reminder.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from portal import outbox
from portal.activation import RemovalResult, remove_license
from portal.clock import program_today
from portal.extensions import db
from portal.models import OutboundEmail, RequestState, SignupRequest, utcnow
from portal.programs import Program, current_program

BATCH_SIZE = 500
ACTOR = "follow-up job"


@dataclass
class FollowUpReport:
    reminders: int = 0
    removals: int = 0


def send_due_follow_ups() -> FollowUpReport:
    program = current_program()
    report = FollowUpReport()
    _follow_up_invitations(program, report)
    _follow_up_learners(program, report)
    return report


def _follow_up_invitations(program: Program, report: FollowUpReport) -> None:
    now, today = utcnow(), program_today()
    schedule = program.follow_up
    first_reminder = min(schedule.not_accepted_reminder_days, default=program.enroll_within_days)
    due = select(SignupRequest.id).where(
        SignupRequest.program == program.code,
        SignupRequest.state == RequestState.INVITED,
        (SignupRequest.invited_at <= now - timedelta(days=first_reminder))
        | (SignupRequest.enroll_by <= today + timedelta(days=schedule.enroll_by_warning_days)),
    )
    for signup in _in_batches(due):
        if today > signup.enroll_by:
            report.removals += remove_license(signup.id, reason="not_accepted", actor=ACTOR) == RemovalResult.REMOVED
            continue
        if (signup.enroll_by - today).days <= schedule.enroll_by_warning_days:
            report.reminders += _remind(signup, "reminder_enroll_by")
            continue
        days_since = (now - signup.invited_at) / timedelta(days=1)
        latest_due = max((day for day in schedule.not_accepted_reminder_days if day <= days_since), default=None)
        if latest_due is not None:
            report.reminders += _remind(signup, "reminder_not_accepted", occasion=f"day{latest_due}")


def _follow_up_learners(program: Program, report: FollowUpReport) -> None:
    now = utcnow()
    schedule = program.follow_up
    last_seen = func.coalesce(SignupRequest.last_activity_at, SignupRequest.enrolled_at, SignupRequest.invited_at)
    due = select(SignupRequest.id).where(
        SignupRequest.program == program.code,
        SignupRequest.state.in_((RequestState.ENROLLED, RequestState.ACTIVE)),
        last_seen <= now - timedelta(days=schedule.inactivity_reminder_days),
    )
    grace = timedelta(days=schedule.inactivity_removal_days - schedule.inactivity_reminder_days)
    for signup in _in_batches(due):
        seen = signup.last_activity_at or signup.enrolled_at or signup.invited_at
        # One reminder per quiet spell: new activity starts a new spell, and a new reminder.
        occasion = f"since{seen:%Y%m%d}"
        reminder = _queued(signup, "reminder_inactive", occasion)
        if reminder is None:
            report.reminders += _remind(signup, "reminder_inactive", occasion=occasion)
        elif now - seen >= timedelta(days=schedule.inactivity_removal_days) and now - reminder.created_at >= grace:
            report.removals += remove_license(signup.id, reason="inactive", actor=ACTOR) == RemovalResult.REMOVED


def _remind(signup: SignupRequest, kind: str, occasion: str | None = None) -> bool:
    queued = outbox.queue_email_once(signup, kind, occasion) is not None
    db.session.commit()
    return queued


def _queued(signup: SignupRequest, kind: str, occasion: str) -> OutboundEmail | None:
    key = outbox.idempotency_key(signup, kind, occasion)
    return db.session.scalar(select(OutboundEmail).where(OutboundEmail.idempotency_key == key))


def _in_batches(id_query) -> Iterator[SignupRequest]:
    """The requests of `id_query`, loaded a batch at a time (a program may have 50,000)."""
    request_ids: list[int] = list(db.session.scalars(id_query.order_by(SignupRequest.id)))
    db.session.rollback()
    for start in range(0, len(request_ids), BATCH_SIZE):
        batch = request_ids[start:start + BATCH_SIZE]
        yield from db.session.scalars(
            select(SignupRequest).where(SignupRequest.id.in_(batch)).order_by(SignupRequest.id)
        ).all()

