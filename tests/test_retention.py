"""`purge-expired`: personal data goes once the retention period is over, anonymous counts stay, every
purge is audited, and running it again (or twice at once) changes nothing more."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy
import time_machine
from sqlalchemy import func, select

from jobs.retention import purge_expired as purge_job
from portal import retention
from portal.activation import remove_license
from portal.enrolment import accept_invitation
from portal.extensions import db
from portal.lifecycle import record_state_change
from portal.models import AuditEvent, ExportFile, PurgedRequestCount, RequestState, SignupRequest, utcnow
from portal.programs import current_program
from portal.retention import purge_expired
from portal.statistics import DIMENSIONS, activity_counts, request_counts
from tests.factories import make_invited_signup, make_signup

FOUR_YEARS = timedelta(days=4 * 365)


def person(number: int) -> dict:
    """Answers that appear nowhere else, so that we can look for them in every table afterwards."""
    return {"first_name": f"Purgeable{number}", "last_name": f"Oldperson{number}", "email": f"old{number}@example.com",
            "zip_code": f"148{number:02d}", "case_id": f"OLD-{number:04d}"}


def travel_back(delta: timedelta):
    return time_machine.travel(datetime.now(UTC) - delta, tick=False)


def completed_long_ago(number: int) -> SignupRequest:
    with travel_back(FOUR_YEARS):
        signup = make_invited_signup(**person(number))
        signup.phone = f"+1518555{number:04d}"
        accept_invitation(signup)
        signup.completed_at = utcnow()
        record_state_change(signup, RequestState.COMPLETED, actor="activity import")
        db.session.commit()
    return signup


def denied_long_ago(number: int) -> SignupRequest:
    with travel_back(FOUR_YEARS):
        return make_signup(employment_status="employed", layoff_notice="no", **person(number))


def export_file(day: date, row: str) -> ExportFile:
    stored = ExportFile(kind="provider", filename=f"provider-ny-{day.isoformat()}.csv", period_start=day,
                        period_end=day, row_count=1, content=f"first_name,email\r\n{row}\r\n")
    db.session.add(stored)
    db.session.commit()
    return stored


def everything_stored() -> str:
    """Every row of every table, as text."""
    return "\n".join(str(row) for table in db.metadata.sorted_tables
                     for row in db.session.execute(select(table)).all())


def test_purge_removes_expired_personal_data_keeps_the_counts_and_audits_each_removal(app_context):
    gone = [completed_long_ago(1), denied_long_ago(2)]
    with travel_back(timedelta(days=100)):
        recently_removed = make_invited_signup(email="recent@example.com")
        remove_license(recently_removed.id, reason="inactive", actor="follow-up job")
    still_invited = make_invited_signup(email="open@example.com", at=utcnow() - FOUR_YEARS)  # open: never purged
    old_file = export_file((utcnow() - FOUR_YEARS).date(), "Purgeable1,old1@example.com")
    recent_file = export_file((utcnow() - timedelta(days=30)).date(), "Maria,recent@example.com")
    gone_codes = sorted(signup.reference_code for signup in gone)
    counts_before, activities_before = request_counts(DIMENSIONS), activity_counts()

    report = purge_expired(actor="purge-expired command")

    assert (report.requests, report.export_files) == (2, 1)
    assert sorted(db.session.scalars(select(SignupRequest.email))) == ["open@example.com", "recent@example.com"]
    assert db.session.scalars(select(ExportFile.filename)).all() == [recent_file.filename]
    stored = everything_stored()
    for number in (1, 2):
        for value in person(number).values():
            assert value not in stored, value
    assert "+15185550001" not in stored

    assert request_counts(DIMENSIONS) == counts_before  # every report's totals are the same
    assert activity_counts() == activities_before
    assert db.session.scalar(select(func.sum(PurgedRequestCount.request_count))) == 2

    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert sorted(event.reference_code for event in events if event.action == "personal_data_purged") == gone_codes
    for event in events:
        assert event.actor == "purge-expired command" and event.staff_id is None
        assert event.reason.startswith("Retention period over: 1095 days")
    assert {event.before["state"] for event in events if event.action == "personal_data_purged"} == {
        "completed", "denied"}
    assert [event.before for event in events if event.action == "export_file_purged"] == [
        {"filename": old_file.filename, "row_count": 1}]
    assert still_invited.reference_code not in [event.reference_code for event in events]

    again = purge_expired(actor="purge-expired command")  # idempotent
    assert (again.requests, again.export_files) == (0, 0)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == len(events)
    assert request_counts(DIMENSIONS) == counts_before


def test_a_closed_request_is_kept_until_its_retention_period_is_over(app_context):
    retention_days = current_program().retention_days
    with travel_back(timedelta(days=retention_days - 1)):
        make_signup(employment_status="employed", layoff_notice="no")  # denied a day short of the period
    assert purge_expired(actor="purge job").requests == 0
    with time_machine.travel(datetime.now(UTC) + timedelta(days=2)):
        assert purge_expired(actor="purge job").requests == 1


def test_after_the_program_ended_every_request_goes_once_the_period_is_over(app_context):
    program = current_program()
    make_invited_signup()  # still invited when the program ends
    make_signup(email="waiting@example.com", employment_status="return_to_work_date")  # needs review, forever
    over = datetime.combine(program.program_ends + timedelta(days=program.retention_days + 2), datetime.min.time())
    with time_machine.travel(over.replace(tzinfo=UTC) - timedelta(days=5)):
        assert purge_expired(actor="purge job").requests == 0
    with time_machine.travel(over.replace(tzinfo=UTC)):
        assert purge_expired(actor="purge job").requests == 2
    assert db.session.scalar(select(func.count()).select_from(SignupRequest)) == 0
    assert request_counts(["state"]) == {(RequestState.INVITED,): 1, (RequestState.NEEDS_REVIEW,): 1}


def test_purge_expired_command_says_what_it_did(app, runner):
    with app.app_context():
        completed_long_ago(1)
    result = runner.invoke(args=["purge-expired"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 requests and 0 export files whose 1095-day retention period was over" in result.output
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.actor)).all() == ["purge-expired command"]


def test_the_scheduled_purge_job(app):
    with app.app_context():
        denied_long_ago(1)
    assert purge_job() == "1 requests, 0 export files purged"
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.actor)).all() == ["purge job"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_purges_at_once_remove_and_count_each_request_once(app, monkeypatch):
    with app.app_context():
        for number in range(30):
            denied_long_ago(number)
    monkeypatch.setattr(retention, "BATCH_SIZE", 4)  # many small transactions, so the two runs interleave
    start = threading.Barrier(2)
    reports, errors = [], []

    def run(name: str) -> None:
        try:
            with app.app_context():
                start.wait()
                reports.append(purge_expired(actor=name))
        except Exception as error:  # reported below, with the thread's own traceback
            errors.append(error)

    threads = [threading.Thread(target=run, args=(f"purge {number}",)) for number in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(report.requests for report in reports) == 30
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SignupRequest)) == 0
        assert db.session.scalar(select(func.sum(PurgedRequestCount.request_count))) == 30
        assert db.session.scalar(select(func.count(sqlalchemy.distinct(AuditEvent.reference_code)))) == 30
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 30
