"""Reminders and removals go out on the right day, in the person's language, once.

The clock is moved with time-machine; the schedule runs twice at each moment (a doubled scheduler),
an hour before and an hour after each day's mark, and the SMTP server says what arrived when.
"""

from datetime import UTC, datetime, timedelta

import time_machine

from jobs.followup import send_due_follow_ups
from portal import seats
from portal.activation import activate_request
from portal.extensions import db
from portal.models import RequestState, SignupRequest
from portal.programs import current_program
from tests.factories import make_signup
from tests.smtp import email_kind

#: A Monday, 10:00 in New York: the invitation goes out then.
START = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)


def run_the_schedule_over(days: int, run_jobs, smtp) -> list[tuple[int, str, str, str]]:
    """(day, "before"/"after", To, kind) of every email sent, day by day, hour before and after."""
    seen = 0
    sent = []
    for day in range(days + 1):
        for when, offset in (("before", -1), ("after", 1)):
            with time_machine.travel(START + timedelta(days=day, hours=offset), tick=False):
                send_due_follow_ups()
                send_due_follow_ups()
                run_jobs()
            for message in smtp.messages[seen:]:
                sent.append((day, when, message["To"], email_kind(message)))
            seen = len(smtp.messages)
    return sent


def test_each_reminder_and_removal_on_its_day_in_the_right_language_once(app, app_context, smtp, run_jobs):
    with time_machine.travel(START, tick=False):
        never_joins = make_signup(email="nunca@example.com", preferred_language="es")
        goes_quiet = make_signup(email="quiet@example.com", preferred_language="en")
        activate_request(never_joins.id)
        activate_request(goes_quiet.id)
        db.session.refresh(goes_quiet)
        goes_quiet.state = RequestState.ENROLLED  # joined at once, then never came back
        goes_quiet.enrolled_at = goes_quiet.invited_at
        db.session.commit()
        run_jobs()
        smtp.reset()

    program = current_program()
    assert program.follow_up.not_accepted_reminder_days == (3, 10)
    assert (program.follow_up.inactivity_reminder_days, program.follow_up.inactivity_removal_days) == (30, 45)
    db.session.refresh(never_joins)
    assert never_joins.enroll_by.isoformat() == "2027-02-03"  # 30 days after 4 January

    sent = run_the_schedule_over(46, run_jobs, smtp)

    assert [entry for entry in sent if entry[2] == "nunca@example.com"] == [
        (3, "after", "nunca@example.com", "reminder_not_accepted"),
        (10, "after", "nunca@example.com", "reminder_not_accepted"),
        (27, "before", "nunca@example.com", "reminder_enroll_by"),  # 31 January: three days to go
        (31, "before", "nunca@example.com", "removal"),  # 4 February: the join-by date has passed
    ]
    assert [entry for entry in sent if entry[2] == "quiet@example.com"] == [
        (30, "after", "quiet@example.com", "reminder_inactive"),
        (45, "after", "quiet@example.com", "removal"),
    ]
    spanish = [message["Subject"] for message in smtp.messages if message["To"] == "nunca@example.com"]
    english = [message["Subject"] for message in smtp.messages if message["To"] == "quiet@example.com"]
    assert english == ["Your Coursera courses are waiting for you", "Your free access to Coursera has ended"]
    assert all(subject not in english for subject in spanish) and len(set(spanish)) == 3

    for signup in (never_joins, goes_quiet):
        db.session.refresh(signup)
        assert signup.state == RequestState.REMOVED and not signup.holds_seat
    assert (never_joins.removal_reason, goes_quiet.removal_reason) == ("not_accepted", "inactive")
    assert seats.seats_taken(program) == 0  # both seats back in the pool (nobody was waiting)


def test_new_activity_starts_a_new_quiet_spell(app, app_context, smtp, run_jobs):
    with time_machine.travel(START, tick=False):
        learner = make_signup(email="learner@example.com")
        activate_request(learner.id)
        db.session.refresh(learner)
        learner.state, learner.enrolled_at = RequestState.ACTIVE, learner.invited_at
        db.session.commit()
    with time_machine.travel(START + timedelta(days=31), tick=False):
        assert send_due_follow_ups() == "1 reminders, 0 removals"
        # The provider's report says they came back yesterday.
        db.session.get(SignupRequest, learner.id).last_activity_at = (START + timedelta(days=30)).replace(tzinfo=None)
        db.session.commit()
    with time_machine.travel(START + timedelta(days=50), tick=False):
        assert send_due_follow_ups() == "0 reminders, 0 removals"  # 20 quiet days: nothing due
    with time_machine.travel(START + timedelta(days=61), tick=False):
        assert send_due_follow_ups() == "1 reminders, 0 removals"  # a new spell, a new reminder
        assert send_due_follow_ups() == "0 reminders, 0 removals"
    db.session.refresh(learner)
    assert learner.state == RequestState.ACTIVE
