"""Program files: the two that ship load, and a wrong one stops the app with a clear message."""

from datetime import date

import pytest
import time_machine

from portal.models import SignupRequest
from portal.programs import PROGRAMS_DIR, ProgramFileError, load_program
from tests.conftest import csrf_token
from tests.factories import FORM_DATA


@pytest.mark.parametrize("code", ["ny", "ma"])
def test_shipped_programs_load_with_their_dates_in_order(code):
    program = load_program(code)
    assert program.issue_by <= program.enroll_by <= program.complete_by <= program.program_ends
    assert set(program.case_activities) == {"invited", "enrolled", "completed", "removed"}


def test_massachusetts_keeps_its_own_deadlines():
    program = load_program("ma")
    # The issuance: licenses issued by 23 October, enrolment by 31 October, courses done by 31 December.
    assert (program.issue_by.month, program.issue_by.day) == (10, 23)
    assert (program.enroll_by.month, program.enroll_by.day) == (10, 31)
    assert program.enroll_by_for(date(program.issue_by.year, 10, 20)) == program.enroll_by  # capped
    assert program.enroll_by_for(date(program.issue_by.year, 9, 1)).isoformat().endswith("09-22")  # 21 days


def broken_copy(tmp_path, old: str, new: str):
    text = (PROGRAMS_DIR / "ny.toml").read_text()
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new))
    return path


def test_dates_out_of_order_are_refused(tmp_path):
    path = broken_copy(tmp_path, "issue_by = 2027-10-31", "issue_by = 2028-01-31")
    with pytest.raises(ProgramFileError, match="issue_by ≤ enroll_by"):
        load_program(str(path))


def test_a_removal_before_its_reminder_is_refused(tmp_path):
    path = broken_copy(tmp_path, "inactivity_removal_days = 45", "inactivity_removal_days = 20")
    with pytest.raises(ProgramFileError, match="inactivity_reminder_days"):
        load_program(str(path))


@pytest.mark.parametrize("value", ["30", "1095.5", '"3 years"', "true", "-1095"])
def test_a_retention_period_that_is_not_a_plausible_number_of_days_is_refused(tmp_path, value):
    path = broken_copy(tmp_path, "retention_days = 1095", f"retention_days = {value}")
    with pytest.raises(ProgramFileError, match="retention_days must be a whole number of days, at least 90"):
        load_program(str(path))


def test_a_program_without_a_retention_period_is_refused(tmp_path):
    path = broken_copy(tmp_path, "retention_days = 1095", "")
    with pytest.raises(ProgramFileError, match="retention_days"):
        load_program(str(path))


def test_a_missing_section_names_the_file(tmp_path):
    path = broken_copy(tmp_path, "[case_activities]", "[something_else]")
    with pytest.raises(ProgramFileError, match="broken.toml"):
        load_program(str(path))


def test_after_the_issue_by_date_the_form_says_sign_up_is_closed(app, client):
    with time_machine.travel("2027-10-31 15:00Z"):  # the last day: the form opens...
        token = csrf_token(client, "/en/signup")
    with time_machine.travel("2027-11-02 15:00Z"):  # New York stopped issuing on 31 October 2027
        home = client.get("/es/").get_data(as_text=True)
        page = client.get("/en/signup")
        posted = client.post("/en/signup", data={**FORM_DATA, "csrf_token": token})  # ...and is sent too late
    assert "Sign up now" not in home and "Inscríbase ahora" not in home
    assert page.status_code == 200 and "Sign-up is closed" in page.get_data(as_text=True)
    assert "Sign-up is closed" in posted.get_data(as_text=True)
    with app.app_context():
        assert SignupRequest.query.count() == 0
