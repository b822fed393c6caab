"""The seat guard: sign-ups far faster than any launch has seen stop taking seats and wait for staff."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from portal.models import RequestState, SignupRequest
from portal.programs import PROGRAMS_DIR, ProgramFileError, current_program, load_program
from portal.seat_guard import seat_guard_status
from portal.seats import seats_taken
from tests.conftest import post_form
from tests.factories import FORM_DATA, make_staff, sign_in


@pytest.fixture
def app_settings(tmp_path):
    """New York's program with a guard of 10 sign-ups in 5 minutes (300 in the shipped file)."""
    text = (PROGRAMS_DIR / "ny.toml").read_text(encoding="utf-8").replace("max_signups = 300", "max_signups = 10")
    path = tmp_path / "ny_small_guard.toml"
    path.write_text(text, encoding="utf-8")
    return {"PORTAL_PROGRAM": str(path)}


def _sign_up(client, count: int, first: int = 0):
    return [post_form(client, "/en/signup", {**FORM_DATA, "email": f"person{n}@example{n}.org"}).status_code
            for n in range(first, first + count)]


def test_a_burst_of_sign_ups_waits_for_review_instead_of_taking_seats(app, client, run_jobs):
    """Issue 8: a script got 37 sign-ups a second accepted and all invited (50,000 seats in about
    23 minutes). With the guard, the sign-ups past the program's rate take no seat."""
    assert _sign_up(client, 25) == [302] * 25
    run_jobs()
    with app.app_context():
        states = [signup.state for signup in SignupRequest.query.order_by(SignupRequest.id)]
        assert states == [RequestState.INVITED] * 10 + [RequestState.NEEDS_REVIEW] * 15
        assert seats_taken(current_program()) == 10
        held = SignupRequest.query.filter_by(hold_reason="seat_guard").all()
        assert len(held) == 15 and not any(signup.holds_seat for signup in held)
        assert held[0].decision_reason == "out_of_work"  # what the rules said stays on record
        assert "Seat guard: 10 sign-ups in the last 5 minutes" in held[0].events[-1].reason
        assert held[0].events[-1].actor == "seat guard"
        status = seat_guard_status()
        assert (status.on, status.recent_signups, status.held_requests) == (True, 25, 15)


def test_the_queue_page_says_when_the_guard_is_on_and_what_it_held(app, client):
    with app.app_context():
        make_staff()
    _sign_up(client, 12)
    staff = app.test_client()
    sign_in(staff)
    page = staff.get("/admin/").get_data(as_text=True)
    assert "The seat guard is on" in page
    assert "12 sign-ups arrived in the last 5 minutes, more than the 10 any launch has seen" in page
    assert "Requests held so far: 2." in page

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=6)):
        page = staff.get("/admin/").get_data(as_text=True)
        assert "The seat guard is on" not in page  # the guard lifts by itself once the rate falls...
        assert "The seat guard held 2 requests that still wait for review." in page  # ...its holds stay
        assert _sign_up(client, 1, first=100) == [302]
    with app.app_context():
        assert SignupRequest.query.order_by(SignupRequest.id.desc()).first().state == RequestState.APPROVED


def test_a_request_page_says_why_it_was_held(app, client):
    with app.app_context():
        make_staff()
    _sign_up(client, 11)
    with app.app_context():
        code = SignupRequest.query.filter_by(hold_reason="seat_guard").one().reference_code
    staff = app.test_client()
    sign_in(staff)
    page = staff.get(f"/admin/requests/{code}").get_data(as_text=True)
    assert "Waits for a person to approve or deny it" in page
    assert "The seat guard: sign-ups were arriving far faster" in page


def test_the_applicant_sees_the_same_answer_while_the_guard_is_on(app, client):
    _sign_up(client, 10)
    post_form(client, "/en/signup", {**FORM_DATA, "email": "late@example.com"})
    page = client.get("/en/signup/received").get_data(as_text=True)
    assert "You will get a second email with your invitation." in page  # what the answers decide


@pytest.mark.parametrize("guard", ["max_signups = 0", "window_minutes = -5", 'max_signups = "many"'])
def test_a_program_file_with_a_wrong_guard_is_refused(tmp_path, guard):
    text = (PROGRAMS_DIR / "ny.toml").read_text(encoding="utf-8")
    key = guard.split(" = ")[0]
    path = tmp_path / "wrong_guard.toml"
    path.write_text(text.replace(f"{key} = {300 if key == 'max_signups' else 5}", guard), encoding="utf-8")
    with pytest.raises(ProgramFileError, match="seat_guard"):
        load_program(str(path))


def test_a_program_file_without_a_guard_names_it(tmp_path):
    text = (PROGRAMS_DIR / "ny.toml").read_text(encoding="utf-8").replace("[seat_guard]", "[something_else]")
    path = tmp_path / "no_guard.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProgramFileError, match="seat_guard"):
        load_program(str(path))


@pytest.mark.parametrize("code", ["ny", "ma"])
def test_shipped_programs_set_a_guard(code):
    guard = load_program(code).seat_guard
    assert (guard.max_signups, guard.window_minutes) == (300, 5)
