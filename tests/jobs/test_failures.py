"""Exactly once, when real worker processes race: PostgreSQL, Redis, SMTP and RQ, no mocks.

Eight forking `flask --app wsgi worker` processes racing for the last ten seats hand out exactly
ten, first come first served, and a returned seat goes to the longest-waiting person. Workers that
die are in test_failures_kill.py; Redis away in test_failures_redis.py; SMTP refusals in
test_failures_smtp.py.
"""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import seats
from portal.activation import remove_license
from portal.extensions import db
from portal.models import RequestEvent, RequestState, SeatPool, SignupRequest
from portal.programs import current_program
from tests.factories import make_signup
from tests.smtp import email_kind

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def redis_url(private_redis_url):
    """Our own Redis: these workers must run this test's jobs, not another test run's."""
    return private_redis_url


def sent(smtp) -> Counter:
    """How many messages of each kind each address received."""
    return Counter((message["To"], email_kind(message)) for message in smtp.messages)


def addresses(smtp, kind: str) -> set[str]:
    return {message["To"] for message in smtp.messages if email_kind(message) == kind}


# --- Eight workers, ten seats -----------------------------------------------------------------

WORKERS = 8
SEATS_LEFT = 10
APPLICANTS = 40


@ON_POSTGRESQL
def test_eight_workers_racing_for_the_last_ten_seats_invite_exactly_ten(app, smtp, start_worker, run_jobs):
    with app.app_context():
        cap = current_program().seat_cap
        db.session.add(SeatPool(program="ny", seats_taken=cap - SEATS_LEFT))
        db.session.commit()
        # Each sign-up enqueues its confirmation and its activation; a minute apart, oldest first.
        emails = [f"person{number:02}@example.com" for number in range(APPLICANTS)]
        for number, email in enumerate(emails):
            make_signup(email=email, age=timedelta(minutes=APPLICANTS - number))

    workers = [start_worker() for _ in range(WORKERS)]  # all at once
    for worker in workers:
        worker.wait_for_success()

    with app.app_context():
        requests = db.session.scalars(select(SignupRequest).order_by(SignupRequest.created_at)).all()
        assert [request.email for request in requests] == emails
        invited = [request for request in requests if request.state == RequestState.INVITED]
        waitlisted = [request for request in requests if request.state == RequestState.WAITLISTED]
        assert (len(invited), len(waitlisted)) == (SEATS_LEFT, APPLICANTS - SEATS_LEFT)
        assert all(request.holds_seat for request in invited)
        assert not any(request.holds_seat for request in waitlisted)
        assert seats.seats_taken(current_program()) == cap
        # First come, first served, as far as eight workers allow: an activation dequeued after the
        # first 17 found at least 10 finished before it (at most 7 others in flight), so no seat.
        assert {request.email for request in invited} <= set(emails[:SEATS_LEFT + WORKERS - 1])
        invited_events = db.session.scalars(select(RequestEvent).where(RequestEvent.to_state == "invited")).all()
        assert sorted(event.request_id for event in invited_events) == sorted(request.id for request in invited)
        invited_emails = {request.email for request in invited}
        waitlisted_emails = {request.email for request in waitlisted}
        returned_by, next_in_line = invited[0], waitlisted[0]  # waitlisted[0]: the oldest waiting
        returned_by_id, next_in_line_id = returned_by.id, next_in_line.id

    assert Counter(email_kind(message) for message in smtp.messages) == {
        "confirmation": APPLICANTS, "invitation": SEATS_LEFT, "waitlisted": APPLICANTS - SEATS_LEFT}
    assert max(sent(smtp).values()) == 1  # nobody got two of the same
    assert addresses(smtp, "confirmation") == set(emails)
    assert addresses(smtp, "invitation") == invited_emails
    assert addresses(smtp, "waitlisted") == waitlisted_emails

    # A seat comes back: it goes straight to the longest-waiting person, and the pool stays full.
    with app.app_context():
        assert remove_license(returned_by_id, reason="inactive", actor="test") == "removed"
        removed = db.session.get(SignupRequest, returned_by_id)
        promoted = db.session.get(SignupRequest, next_in_line_id)
        assert (removed.state, removed.holds_seat) == (RequestState.REMOVED, False)
        assert (promoted.state, promoted.holds_seat) == (RequestState.INVITED, True)
        assert promoted.events[-1].reason == f"seat returned by {removed.reference_code}"
        assert seats.seats_taken(current_program()) == cap
        still_waiting = SignupRequest.query.filter_by(state=RequestState.WAITLISTED).count()
        assert still_waiting == APPLICANTS - SEATS_LEFT - 1
        removed_email, promoted_email = removed.email, promoted.email
    smtp.reset()
    run_jobs()
    run_jobs()  # a second pass finds nothing more to send
    assert sent(smtp) == {(promoted_email, "invitation"): 1, (removed_email, "removal"): 1}
