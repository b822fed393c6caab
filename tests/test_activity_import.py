"""The provider's activity report: forward only, every problem by line number, all rows or none."""

import csv
import io
from datetime import timedelta

from sqlalchemy import func, select

from portal.activation import activate_request, remove_license
from portal.activity_import import import_activity
from portal.clock import program_today, start_of_local_day
from portal.exports import export_case_report, export_provider_file
from portal.extensions import db
from portal.models import RequestEvent, RequestState, SignupRequest
from tests.factories import make_invited_signup, make_signup

HEADER = ["email", "enrolled_date", "last_activity_date", "progress", "completed"]


def activity_csv(rows: list[list[str]], header: list[str] = HEADER) -> str:
    """The provider's report as its system writes it (csv module, CRLF)."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue()


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(RequestEvent))


def by_email(email: str) -> SignupRequest:
    return db.session.scalars(select(SignupRequest).where(SignupRequest.email == email)).one()


def test_round_trip_from_the_provider_file_to_the_activity_report(app_context):
    today = program_today()
    yesterday = today - timedelta(days=1)
    for minutes, name in enumerate(["ana", "ben", "cy", "dee"]):
        make_invited_signup(email=f"{name}@example.com",
                            at=start_of_local_day(yesterday) + timedelta(hours=9, minutes=minutes),
                            case_id="NY0000001" if name == "cy" else "")
    # The provider receives yesterday's file and, a day later, reports on those learners.
    learners = list(csv.DictReader(io.StringIO(export_provider_file(yesterday).content, newline="")))
    assert [learner["email"] for learner in learners] == [f"{n}@example.com" for n in ["ana", "ben", "cy", "dee"]]
    said = {
        "ana@example.com": [yesterday.isoformat(), "", "", "no"],                       # joined
        "ben@example.com": [yesterday.isoformat(), today.isoformat(), "35", "false"],   # learning
        "cy@example.com": [yesterday.isoformat(), today.isoformat(), "100", today.isoformat()],  # finished
        "dee@example.com": ["", "", "", ""],                                            # not yet
    }
    report_text = activity_csv(
        [[learner["reference_code"], learner["email"].upper(), *said[learner["email"]]] for learner in learners],
        header=["Learner ID", "Email", "Enrolled_Date", "Last_Activity_Date", "Progress", "Completed"],
    )
    events_before = event_count()

    report = import_activity(report_text, source_name="activity-report.csv")

    assert report.errors == [] and report.applied
    assert (report.rows_read, report.changed, report.unchanged, report.skipped) == (4, 3, 1, 0)
    ana, ben, cy, dee = (by_email(f"{n}@example.com") for n in ["ana", "ben", "cy", "dee"])
    assert [ana.state, ben.state, cy.state, dee.state] == ["enrolled", "active", "completed", "invited"]
    assert ana.enrolled_at == start_of_local_day(yesterday)
    assert (ben.last_activity_at, ben.progress_percent) == (start_of_local_day(today), 35)
    assert cy.completed_at == start_of_local_day(today)
    assert cy.holds_seat  # finishing does not give the seat back
    steps = [(event.from_state, event.to_state, event.actor, event.reason) for event in cy.events[-3:]]
    assert steps == [
        ("invited", "enrolled", "activity import", "activity-report.csv line 4"),
        ("enrolled", "active", "activity import", "activity-report.csv line 4"),
        ("active", "completed", "activity import", "activity-report.csv line 4"),
    ]
    assert event_count() == events_before + 1 + 2 + 3

    again = import_activity(report_text, source_name="activity-report.csv")

    assert (again.rows_read, again.changed, again.unchanged, again.errors) == (4, 0, 4, [])
    assert event_count() == events_before + 6
    activities = [row["activity"] for row in csv.DictReader(io.StringIO(export_case_report(yesterday, today).content))]
    assert activities == ["Referred to Coursera Enrollment", "Enrolled in Coursera", "Completed Coursera course"]


def test_a_file_with_problems_is_refused_row_by_row_and_changes_nothing(app_context):
    day = program_today() - timedelta(days=2)
    for name in ["ana", "ben", "cy", "dee", "eve"]:
        make_invited_signup(email=f"{name}@example.com", at=start_of_local_day(day) + timedelta(hours=9))
    make_signup(email="pending@example.com")  # signed up, never invited
    tomorrow = (program_today() + timedelta(days=1)).isoformat()
    text = activity_csv([
        ["ana@example.com", day.isoformat(), day.isoformat(), "10", "no"],  # fine on its own
        ["ben@example.com", "", "2026-13-01", "", ""],
        ["cy@example.com", day.isoformat(), "", "abc", ""],
        ["nobody@example.com", day.isoformat(), "", "", ""],
        ["ANA@example.com", day.isoformat(), "", "", ""],
        ["dee@example.com", tomorrow, "", "", ""],
        ["eve@example.com", "", "", "101", "maybe"],
        ["pending@example.com", "", "", "", ""],
        ["", day.isoformat(), "", "", ""],
    ])
    events_before = event_count()

    report = import_activity(text, source_name="bad.csv")

    assert report.errors == [
        "line 3: last_activity_date 2026-13-01 is not a date (use YYYY-MM-DD)",
        'line 4: progress "abc" is not a number from 0 to 100',
        "line 5: no learner with email nobody@example.com in this program",
        "line 6: email ana@example.com is also on line 2 (one row per learner)",
        f"line 7: enrolled_date {tomorrow} is in the future",
        'line 8: progress "101" is not a number from 0 to 100',
        'line 8: completed "maybe" is not yes, no or a date (YYYY-MM-DD)',
        "line 9: no learner with email pending@example.com in this program",
        "line 10: email is empty",
    ]
    assert not report.applied and report.changed == 0
    assert event_count() == events_before
    db.session.expire_all()
    ana = by_email("ana@example.com")
    assert (ana.state, ana.enrolled_at, ana.last_activity_at, ana.progress_percent) == ("invited", None, None, None)


def test_missing_columns_are_named(app_context):
    report = import_activity("Email,enrolled_date,progress\r\nana@example.com,,\r\n", source_name="short.csv")
    assert report.errors == ["line 1: the header row lacks the columns last_activity_date, completed "
                             "(it needs email, enrolled_date, last_activity_date, progress, completed)"]
    assert import_activity("", source_name="empty.csv").errors[0].startswith("line 1: the file is empty")


def test_forward_only_removed_skipped_and_us_dates(app_context):
    day = program_today() - timedelta(days=3)
    finished = make_invited_signup(email="finished@example.com", at=start_of_local_day(day))
    finished.state = RequestState.COMPLETED
    gone = make_invited_signup(email="gone@example.com", at=start_of_local_day(day))
    remove_license(gone.id, reason="inactive", actor="follow-up job")
    back = make_signup(email="back@example.com")
    activate_request(back.id)
    db.session.commit()
    events_before = event_count()
    us_day = f"{day.month:02d}/{day.day:02d}/{day.year}"
    text = "\ufeff" + activity_csv([  # Excel's "CSV UTF-8" starts with a byte-order mark
        ["finished@example.com", "", "", "", "no"],
        ["gone@example.com", day.isoformat(), day.isoformat(), "50", ""],
        ["back@example.com", us_day, "", "0", ""],
        ["", "", "", "", ""],  # a blank row a spreadsheet left behind
    ])

    report = import_activity(text, source_name="mixed.csv")

    assert report.errors == []
    assert (report.rows_read, report.changed, report.unchanged, report.skipped) == (3, 1, 1, 1)
    assert report.notes == [f"line 3: skipped gone@example.com: the license was taken back on {program_today()}"]
    assert by_email("finished@example.com").state == "completed"  # never backward
    assert by_email("gone@example.com").state == "removed"
    back = by_email("back@example.com")
    assert (back.state, back.enrolled_at, back.progress_percent) == ("enrolled", start_of_local_day(day), 0)
    assert event_count() == events_before + 1


def test_import_activity_command(app, runner, tmp_path):
    with app.app_context():
        day = program_today() - timedelta(days=1)
        make_invited_signup(email="ana@example.com", at=start_of_local_day(day) + timedelta(hours=9))
    good = tmp_path / "activity.csv"
    good.write_text(activity_csv([["ana@example.com", day.isoformat(), day.isoformat(), "20", "no"]]))
    bad = tmp_path / "bad.csv"
    bad.write_text(activity_csv([["ana@example.com", "yesterday", "", "", ""],
                                 ["zed@example.com", "", "", "", ""]]))

    refused = runner.invoke(args=["import-activity", str(bad)])

    assert refused.exit_code == 1
    assert 'line 2: enrolled_date yesterday is not a date (use YYYY-MM-DD)' in refused.output
    assert "line 3: no learner with email zed@example.com in this program" in refused.output
    assert "2 problems in bad.csv: nothing was changed." in refused.output
    with app.app_context():
        assert by_email("ana@example.com").state == "invited"

    result = runner.invoke(args=["import-activity", str(good)])

    assert result.exit_code == 0, result.output
    assert "activity.csv: 1 rows read, 1 changed, 0 unchanged, 0 skipped, 0 errors." in result.output
    with app.app_context():
        assert by_email("ana@example.com").state == "active"
    assert "0 changed, 1 unchanged" in runner.invoke(args=["import-activity", str(good)]).output
