"""Seats, the waitlist and re-enrolment, one process at a time (the race is in test_failures)."""

from datetime import timedelta

import pytest

from portal import seats
from portal.activation import ActivationResult, activate_request, promote_waitlist, remove_license
from portal.extensions import db
from portal.helpdesk import ActionRefused, timeline_version
from portal.helpdesk.decisions import deny_request
from portal.models import RequestState, SeatPool, SignupRequest
from portal.programs import current_program
from tests.factories import make_signup, make_staff
from tests.smtp import email_kind


def leave_seats(count: int) -> None:
    program = current_program()
    db.session.add(SeatPool(program=program.code, seats_taken=program.seat_cap - count))
    db.session.commit()


def sign_up_in_order(count: int) -> list[SignupRequest]:
    """`count` approved requests, the first one the oldest."""
    return [make_signup(email=f"person{number}@example.com", age=timedelta(hours=count - number))
            for number in range(count)]


def states(requests: list[SignupRequest]) -> list[str]:
    for signup in requests:
        db.session.refresh(signup)
    return [signup.state for signup in requests]


def kinds_sent_to(smtp, address: str) -> list[str]:
    return [email_kind(message) for message in smtp.messages_to(address)]


def test_no_seat_means_the_waitlist_and_a_returned_seat_goes_to_the_oldest_waiting(app, app_context, smtp, run_jobs):
    leave_seats(2)
    requests = sign_up_in_order(5)
    run_jobs()
    assert states(requests) == ["invited", "invited", "waitlisted", "waitlisted", "waitlisted"]
    assert kinds_sent_to(smtp, "person2@example.com") == ["confirmation", "waitlisted"]
    program = current_program()
    assert seats.seats_taken(program) == program.seat_cap

    assert remove_license(requests[0].id, reason="inactive", actor="test") == "removed"
    run_jobs()
    assert states(requests) == ["removed", "invited", "invited", "waitlisted", "waitlisted"]
    assert requests[2].holds_seat and not requests[0].holds_seat
    assert seats.seats_taken(program) == program.seat_cap  # handed over, never free in between
    assert kinds_sent_to(smtp, "person2@example.com") == ["confirmation", "waitlisted", "invitation"]
    assert requests[2].events[-1].reason == f"seat returned by {requests[0].reference_code}"
    # Removing the same request again returns nothing a second time.
    assert remove_license(requests[0].id, reason="inactive", actor="test") == "nothing to do"
    assert states(requests)[3:] == ["waitlisted", "waitlisted"]


def test_free_seats_go_to_the_waitlist_in_order_and_newcomers_do_not_jump_it(app, app_context, smtp, run_jobs):
    leave_seats(0)
    requests = sign_up_in_order(3)
    run_jobs()
    assert states(requests) == ["waitlisted"] * 3

    # The cap is raised by two, and the waitlist job has not run yet: a newcomer's activation gives
    # both seats to the two oldest waiting first, in its own transaction, and waits behind the third.
    program = current_program()
    db.session.get(SeatPool, program.code).seats_taken = program.seat_cap - 2
    db.session.commit()
    newcomer = make_signup(email="newcomer@example.com")
    assert activate_request(newcomer.id) == ActivationResult.WAITLISTED
    assert states(requests) == ["invited", "invited", "waitlisted"]
    assert seats.seats_taken(program) == program.seat_cap
    assert requests[0].events[-1].reason == "a seat came free"

    assert promote_waitlist() == 0  # nothing left to hand out
    run_jobs()
    assert kinds_sent_to(smtp, "person1@example.com") == ["confirmation", "waitlisted", "invitation"]
    assert kinds_sent_to(smtp, "newcomer@example.com") == ["confirmation", "waitlisted"]


def test_a_newcomer_is_never_told_no_seats_while_seats_are_free(app, app_context, smtp, run_jobs):
    """Seats came free while two people wait and the waitlist job has not run: the newcomer's own
    activation invites both of them, then the newcomer, at once. Nobody hears "no seats left"."""
    leave_seats(0)
    requests = sign_up_in_order(2)
    run_jobs()
    program = current_program()
    db.session.get(SeatPool, program.code).seats_taken = program.seat_cap - 5
    db.session.commit()

    newcomer = make_signup(email="newcomer@example.com")
    assert activate_request(newcomer.id) == ActivationResult.INVITED
    assert states([*requests, newcomer]) == ["invited", "invited", "invited"]
    assert seats.seats_taken(program) == program.seat_cap - 2
    run_jobs()
    assert kinds_sent_to(smtp, "newcomer@example.com") == ["confirmation", "invitation"]
    assert kinds_sent_to(smtp, "person0@example.com") == ["confirmation", "waitlisted", "invitation"]


def test_a_removed_person_can_sign_up_again_and_is_welcomed_back(app, app_context, smtp, run_jobs):
    first = make_signup(email="returning@example.com", preferred_language="es")
    run_jobs()
    remove_license(first.id, reason="inactive", actor="test")
    run_jobs()
    second = make_signup(email="returning@example.com", preferred_language="es")
    run_jobs()
    db.session.refresh(second)
    assert second.state == RequestState.INVITED and second.reference_code != first.reference_code
    assert kinds_sent_to(smtp, "returning@example.com") == [
        "confirmation", "invitation", "removal", "confirmation", "reenrolment"]
    assert seats.seats_taken(current_program()) == 1


def test_a_denied_request_that_held_a_seat_gives_it_to_the_oldest_waiting(app, app_context, smtp, run_jobs):
    leave_seats(1)
    requests = sign_up_in_order(3)
    run_jobs()
    assert states(requests) == ["invited", "waitlisted", "waitlisted"]
    staff = make_staff()
    db.session.refresh(requests[0])
    seen = timeline_version(requests[0])
    requests[0].state = RequestState.FAILED  # the invitation bounced: staff may still deny it
    db.session.commit()
    deny_request(requests[0].id, staff, seen_version=seen, reason="agency_staff")
    with pytest.raises(ActionRefused):  # once: the form sent again finds it denied
        deny_request(requests[0].id, staff, seen_version=seen, reason="agency_staff")
    run_jobs()
    assert states(requests) == ["denied", "invited", "waitlisted"]
    assert kinds_sent_to(smtp, "person0@example.com")[-1] == "not_eligible"
    program = current_program()
    assert seats.seats_taken(program) == program.seat_cap
