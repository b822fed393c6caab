"""The provider's daily file and the case-management report: right rows, right day, same bytes twice."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from jobs.exports import export_provider_files
from portal.activation import remove_license
from portal.clock import end_of_local_day, program_today, start_of_local_day
from portal.enrolment import accept_invitation
from portal.exports import (
    ExportStatus,
    export_case_report,
    export_provider_file,
    export_provider_files_due,
    spreadsheet_cell,
)
from portal.extensions import db
from portal.lifecycle import record_state_change
from portal.models import ExportFile, RequestState
from tests.conftest import post_form
from tests.factories import FORM_DATA, make_invited_signup, make_signup

PROVIDER_HEADER = "first_name,last_name,email,preferred_language,reference_code,invited_at,enroll_by\r\n"


def rows_of(content: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content, newline="")))


def test_provider_file_lists_exactly_the_people_invited_that_local_day(app_context):
    day = program_today() - timedelta(days=3)
    start, end = start_of_local_day(day), end_of_local_day(day)
    first = make_invited_signup(email="first@example.com", at=start)
    last = make_invited_signup(email="last@example.com",
                               at=end - timedelta(seconds=1))  # after midnight UTC, still that day locally
    joined = make_invited_signup(email="joined@example.com", at=start + timedelta(hours=12))
    accept_invitation(joined)  # moved on since: still one of that day's invitations
    make_invited_signup(email="day-before@example.com", at=start - timedelta(seconds=1))
    make_invited_signup(email="day-after@example.com", at=end)
    make_invited_signup(email="other-program@example.com", at=start + timedelta(hours=1)).program = "ma"
    make_signup(email="not-invited@example.com")
    db.session.commit()

    result = export_provider_file(day)

    assert result.status == ExportStatus.CREATED
    assert result.row_count == 3
    assert result.content.startswith(PROVIDER_HEADER)
    rows = rows_of(result.content)
    assert [row["email"] for row in rows] == ["first@example.com", "joined@example.com", "last@example.com"]
    assert rows[0] == {
        "first_name": "Maria",
        "last_name": "Gonzalez",
        "email": "first@example.com",
        "preferred_language": "en",
        "reference_code": first.reference_code,
        "invited_at": start.isoformat() + "Z",
        "enroll_by": first.enroll_by.isoformat(),
    }
    assert rows[2]["invited_at"] == (end - timedelta(seconds=1)).isoformat() + "Z"
    assert rows[2]["reference_code"] == last.reference_code
    stored = db.session.scalars(select(ExportFile)).one()
    assert (stored.kind, stored.filename, stored.period_start, stored.period_end, stored.row_count) == (
        "provider", f"provider-ny-{day.isoformat()}.csv", day, day, 3)
    assert stored.content == result.content


def test_provider_file_made_again_is_the_same_file(app_context):
    day = program_today() - timedelta(days=1)
    make_invited_signup(email="a@example.com", at=start_of_local_day(day) + timedelta(hours=9))
    make_invited_signup(email="b@example.com",
                        at=start_of_local_day(day) + timedelta(hours=9))  # same moment: ordered by reference
    first = export_provider_file(day)
    made_at = db.session.scalars(select(ExportFile.updated_at)).one()

    again = export_provider_file(day)

    assert again.status == ExportStatus.UNCHANGED
    assert again.content.encode() == first.content.encode()
    assert again.file_id == first.file_id
    assert db.session.scalars(select(ExportFile.updated_at)).one() == made_at

    make_invited_signup(email="c@example.com", at=start_of_local_day(day) + timedelta(hours=10))  # a late arrival
    changed = export_provider_file(day)
    assert (changed.status, changed.row_count, changed.file_id) == (ExportStatus.UPDATED, 3, first.file_id)
    stored = db.session.scalars(select(ExportFile)).one()
    assert stored.updated_at > made_at and stored.content == changed.content


def test_names_that_a_spreadsheet_would_run_as_formulas_are_defused(app_context):
    day = program_today() - timedelta(days=1)
    make_invited_signup(email="formula@example.com", at=start_of_local_day(day) + timedelta(hours=9),
                        first_name='=HYPERLINK("http://evil.example","Click")', last_name="@SUM(A1)")
    make_invited_signup(email="hyphen@example.com",
                        at=start_of_local_day(day) + timedelta(hours=10), first_name="Jean-Luc",
                        last_name="O'Brien, Jr.")

    rows = rows_of(export_provider_file(day).content)

    assert (rows[0]["first_name"], rows[0]["last_name"]) == ('\'=HYPERLINK("http://evil.example","Click")', "'@SUM(A1)")
    assert (rows[1]["first_name"], rows[1]["last_name"]) == ("Jean-Luc", "O'Brien, Jr.")  # quoted by csv, kept


FORMULA_EMAIL = "=cmd|'/ccalc'!a0@example.com"


def test_an_email_a_spreadsheet_would_run_as_a_formula_is_defused_in_the_provider_file(app, client, run_jobs):
    """The issue's finding: an address starting with "=" went into the provider file as it was."""
    response = post_form(client, "/en/signup", {**FORM_DATA, "email": FORMULA_EMAIL})
    assert response.status_code == 302  # a valid address: the form takes it
    run_jobs()
    with app.app_context():
        rows = rows_of(export_provider_file(program_today()).content)
    assert [row["email"] for row in rows] == ["'" + FORMULA_EMAIL]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_no_cell_of_any_file_starts_like_a_formula(app_context, start):
    day = program_today() - timedelta(days=1)
    moment = start_of_local_day(day) + timedelta(hours=9)
    signup = make_invited_signup(email=f"{start.strip() or 'x'}1+1@example.com", at=moment, case_id=f"{start}1")
    signup.first_name, signup.last_name = f"{start}A", f"{start}B"  # whatever is stored, however it got there
    for event in signup.events:
        event.created_at = moment
    db.session.commit()

    for result in (export_provider_file(day), export_case_report(day, day)):
        cells = [cell for row in csv.reader(io.StringIO(result.content, newline="")) for cell in row]
        assert len(cells) > 7
        for cell in cells:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (result.filename, cell)
        assert f"'{start}A" in cells and f"'{start}B" in cells


def test_spreadsheet_cell():
    assert spreadsheet_cell("=1+2") == "'=1+2"
    assert spreadsheet_cell("Jean-Luc") == "Jean-Luc"  # a hyphen inside is no formula
    assert spreadsheet_cell(None) == ""
    assert spreadsheet_cell("2026-01-31") == "2026-01-31"


def test_the_daily_job_makes_every_missing_day_and_only_those(app):
    with app.app_context():
        today = program_today()
        make_invited_signup(email="two-days-ago@example.com",
                            at=start_of_local_day(today - timedelta(days=2)) + timedelta(hours=9))
        make_invited_signup(email="long-ago@example.com",
                            at=start_of_local_day(today - timedelta(days=20)) + timedelta(hours=9))
        make_signup(email="today@example.com")
        already = export_provider_file(today - timedelta(days=1))

    # What the worker runs when the scheduler enqueues it (tests/jobs/test_schedule.py enqueues it by name).
    said = export_provider_files()

    assert said.count(".csv") == 13
    with app.app_context():
        files = {file.filename: file for file in db.session.scalars(select(ExportFile))}
        expected = {f"provider-ny-{(today - timedelta(days=back)).isoformat()}.csv" for back in range(1, 15)}
        assert set(files) == expected  # not today (unfinished), not older than 14 days
        assert files[f"provider-ny-{(today - timedelta(days=2)).isoformat()}.csv"].row_count == 1
        assert files[f"provider-ny-{(today - timedelta(days=1)).isoformat()}.csv"].id == already.file_id
        assert export_provider_files_due() == []
    assert export_provider_files() == "nothing to export"


def test_case_report_lists_each_activity_of_people_with_a_case_id(app_context):
    day = program_today() - timedelta(days=2)
    moment = start_of_local_day(day) + timedelta(hours=10)
    joined = make_invited_signup(email="osos@example.com", at=moment, case_id="NY1234567")
    record_state_change(joined, RequestState.INVITED, actor="applicant", reason="asked for the invitation again")
    db.session.commit()
    accept_invitation(joined)
    removed = make_invited_signup(email="removed@example.com", at=moment, case_id="=1+2", first_name="Ray")
    remove_license(removed.id, reason="inactive", actor="follow-up job")
    make_invited_signup(email="no-case-id@example.com", at=moment)
    outside = make_invited_signup(email="outside@example.com", at=moment, case_id="NY5550000", zip_code="07030")
    earlier = make_invited_signup(email="earlier@example.com",
                                  at=start_of_local_day(day) - timedelta(seconds=1), case_id="NY7654321")
    for signup in (joined, removed, outside):  # everything they went through happened that morning
        for minutes, event in enumerate(signup.events):
            event.created_at = moment + timedelta(minutes=minutes)
    db.session.commit()

    result = export_case_report(day, day)

    assert result.content.splitlines()[0] == (
        "OSOS ID,reference_code,first_name,last_name,email,activity,activity_date,local_area")
    rows = [(row["OSOS ID"], row["email"], row["activity"], row["activity_date"], row["local_area"])
            for row in rows_of(result.content)]
    assert sorted(rows) == sorted([
        ("NY1234567", "osos@example.com", "Referred to Coursera Enrollment", day.isoformat(), "Capital Region"),
        ("NY1234567", "osos@example.com", "Enrolled in Coursera", day.isoformat(), "Capital Region"),
        ("'=1+2", "removed@example.com", "Referred to Coursera Enrollment", day.isoformat(), "Capital Region"),
        ("'=1+2", "removed@example.com", "Coursera license removed", day.isoformat(), "Capital Region"),
        ("NY5550000", "outside@example.com", "Referred to Coursera Enrollment", day.isoformat(), ""),
    ])
    assert result.row_count == 5
    assert rows_of(result.content)[0]["reference_code"] in (joined.reference_code, removed.reference_code)
    assert db.session.scalars(select(ExportFile.filename)).one() == (
        f"case-report-ny-{day.isoformat()}-to-{day.isoformat()}.csv")

    assert export_case_report(day, day).status == ExportStatus.UNCHANGED
    longer = export_case_report(day - timedelta(days=1), day)
    assert longer.row_count == 6 and earlier.reference_code in longer.content
    with pytest.raises(ValueError):
        export_case_report(day, day - timedelta(days=1))


def test_export_provider_command_writes_the_file_and_says_whether_it_changed(app, runner, tmp_path):
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")
    with app.app_context():
        day = program_today() - timedelta(days=4)
        make_invited_signup(email="learner@example.com", at=start_of_local_day(day) + timedelta(hours=9))
    path = tmp_path / "exports" / f"provider-ny-{day.isoformat()}.csv"

    result = runner.invoke(args=["export-provider", "--date", day.isoformat()])

    assert result.exit_code == 0, result.output
    assert f"{path}: 1 row, created." in result.output
    with app.app_context():
        assert path.read_bytes() == db.session.scalars(select(ExportFile.content)).one().encode()
    again = runner.invoke(args=["export-provider", "--date", day.isoformat()])
    assert f"{path}: 1 row, unchanged." in again.output

    yesterday = runner.invoke(args=["export-provider"])
    assert yesterday.exit_code == 0, yesterday.output
    with app.app_context():
        assert f"provider-ny-{(program_today() - timedelta(days=1)).isoformat()}.csv: 0 rows, created." in (
            yesterday.output)
    assert runner.invoke(args=["export-provider", "--date", "yesterday"]).exit_code == 2


def test_export_case_report_command(app, runner, tmp_path):
    app.config["EXPORT_DIR"] = str(tmp_path)
    with app.app_context():
        day = program_today() - timedelta(days=3)
        make_invited_signup(email="osos@example.com", at=start_of_local_day(day) + timedelta(hours=9), case_id="NY1")

    result = runner.invoke(args=["export-case-report", "--from", day.isoformat(), "--to", day.isoformat()])

    assert result.exit_code == 0, result.output
    path = tmp_path / f"case-report-ny-{day.isoformat()}-to-{day.isoformat()}.csv"
    assert f"{path}: 1 row, created." in result.output
    assert "Referred to Coursera Enrollment" in path.read_text()
    assert runner.invoke(args=["export-case-report"]).exit_code == 0
    backwards = runner.invoke(args=["export-case-report", "--from", day.isoformat(),
                                    "--to", (day - timedelta(days=1)).isoformat()])
    assert backwards.exit_code == 2 and "comes after" in backwards.output


def test_the_daily_job_makes_no_files_before_the_first_invitation(app_context):
    assert export_provider_files_due() == []  # a new program: nothing to tell the provider yet
    today = program_today()
    three_days_ago = start_of_local_day(today - timedelta(days=3)) + timedelta(hours=9)
    make_invited_signup(email="first@example.com", at=three_days_ago)
    made = [result.filename for result in export_provider_files_due()]
    assert made == [f"provider-ny-{(today - timedelta(days=back)).isoformat()}.csv" for back in (3, 2, 1)]
