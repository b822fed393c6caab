"""The mail relay says no: a real RQ worker with RQ's own scheduler, the clock moved with time-machine.

A temporary refusal (4xx) comes back as `rq.Retry`, which RQ keeps in its ScheduledJobRegistry until
the interval of jobs/schedule.py has passed; a burst worker started with the scheduler enqueues
what is due, then runs it. A permanent refusal (5xx) is final, shown to staff, and never retried;
and temporary refusals stop after the last interval.
"""

import socket
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry

from jobs.email import send_email
from jobs.schedule import EMAIL_RETRY_INTERVALS
from portal.activation import activate_request
from portal.extensions import db
from portal.models import EmailStatus, OutboundEmail, RequestState, SignupRequest
from portal.queue import job_queue, redis_connection
from portal.sweep import enqueue_waiting_work
from tests.factories import make_signup, make_staff, sign_in

TRY_LATER = "451 4.3.0 Try again later"
NO_SUCH_MAILBOX = "550 5.1.1 Mailbox does not exist"


@pytest.fixture
def redis_url(private_redis_url):
    """Not the machine's shared Redis, which other test runs empty and work from."""
    return private_redis_url


@pytest.fixture
def worker_pass(app):
    """One pass of a real RQ worker with RQ's scheduler: due retries are enqueued, then everything runs."""

    def run() -> None:
        with app.app_context():
            SimpleWorker([job_queue()], connection=redis_connection()).work(burst=True, with_scheduler=True)

    return run


def scheduled_job_ids(app) -> list[str]:
    with app.app_context():
        return ScheduledJobRegistry(queue=job_queue()).get_job_ids()


def email_row(app, kind: str) -> OutboundEmail:
    with app.app_context():
        email = OutboundEmail.query.filter_by(kind=kind).one()
        db.session.expunge(email)
        return email


def invitation_waiting_in_the_queue(app) -> SignupRequest:
    """An invited request whose confirmation went out; the invitation's job waits in the queue, so the
    next RCPT the SMTP server answers is the invitation's."""
    with app.app_context():
        signup = make_signup()
        assert send_email(signup.emails[0].id) == "sent"
        assert activate_request(signup.id) == "invited"
        db.session.expunge(signup)
        return signup


def test_451_then_250_sends_once_after_the_first_retry_interval(app, smtp, worker_pass):
    with app.app_context():
        address = make_signup().email  # its confirmation and its activation wait in the queue
    smtp.refuse_next(TRY_LATER)  # the confirmation's RCPT; the invitation's gets 250

    with time_machine.travel(datetime.now(UTC)) as traveller:
        worker_pass()
        confirmation = email_row(app, "confirmation")
        assert (confirmation.status, confirmation.attempts) == (EmailStatus.PENDING, 1)
        assert confirmation.last_error == TRY_LATER
        assert scheduled_job_ids(app) == [f"email-{confirmation.id}"]  # RQ holds it for 10 s
        assert [message["Subject"] for message in smtp.messages] == ["Your free training license is ready"]
        with app.app_context():
            assert enqueue_waiting_work().emails == 1  # the periodic sweep sees it waiting...
            assert job_queue().count == 0  # ...and leaves it to RQ's schedule: no early copy

        traveller.shift(timedelta(seconds=EMAIL_RETRY_INTERVALS[0] - 5))
        worker_pass()  # not due yet
        assert email_row(app, "confirmation").attempts == 1

        traveller.shift(timedelta(seconds=6))  # 11 s after the refusal
        worker_pass()
        confirmation = email_row(app, "confirmation")
        assert (confirmation.status, confirmation.attempts) == (EmailStatus.SENT, 2)
        assert confirmation.last_error is None
        assert scheduled_job_ids(app) == []

        traveller.shift(timedelta(days=1))
        with app.app_context():
            assert enqueue_waiting_work().emails == 0
        worker_pass()

    subjects = sorted(message["Subject"] for message in smtp.messages_to(address))
    assert subjects == ["We received your request for a free training license", "Your free training license is ready"]
    assert email_row(app, "confirmation").attempts == 2


def test_550_fails_the_invitation_at_once_where_staff_see_it_and_never_retries(app, client, smtp, worker_pass):
    signup = invitation_waiting_in_the_queue(app)
    smtp.refuse_next(NO_SUCH_MAILBOX)
    worker_pass()

    invitation = email_row(app, "invitation")
    assert (invitation.status, invitation.attempts) == (EmailStatus.FAILED, 1)
    assert invitation.last_error == NO_SUCH_MAILBOX
    with app.app_context():
        failed = db.session.get(SignupRequest, signup.id)
        assert failed.state == RequestState.FAILED
        assert failed.failure_reason == f"Invitation email could not be delivered: {NO_SUCH_MAILBOX}"
        assert failed.events[-1].actor == "email job"
        make_staff()
    assert scheduled_job_ids(app) == []  # not retried

    sign_in(client)
    page = client.get(f"/admin/requests/{signup.reference_code}").get_data(as_text=True)
    assert f"Invitation email could not be delivered: {NO_SUCH_MAILBOX}" in page

    with time_machine.travel(datetime.now(UTC) + timedelta(days=1)):
        with app.app_context():
            assert enqueue_waiting_work().emails == 0
        worker_pass()
    assert email_row(app, "invitation").attempts == 1
    assert [message["Subject"] for message in smtp.messages] == [
        "We received your request for a free training license"]  # the confirmation, before the refusal


def test_retries_run_out_and_the_invitation_fails_after_the_last_interval(app, smtp, worker_pass):
    signup = invitation_waiting_in_the_queue(app)
    attempts = 1 + len(EMAIL_RETRY_INTERVALS)
    for _ in range(attempts):
        smtp.refuse_next(TRY_LATER)

    with time_machine.travel(datetime.now(UTC)) as traveller:
        worker_pass()
        for tried, interval in enumerate(EMAIL_RETRY_INTERVALS, start=1):
            invitation = email_row(app, "invitation")
            assert (invitation.status, invitation.attempts) == (EmailStatus.PENDING, tried)
            assert scheduled_job_ids(app) == [f"email-{invitation.id}"]
            traveller.shift(timedelta(seconds=interval + 1))
            worker_pass()

        invitation = email_row(app, "invitation")
        assert (invitation.status, invitation.attempts) == (EmailStatus.FAILED, attempts)
        assert invitation.last_error == TRY_LATER
        assert scheduled_job_ids(app) == []
        assert smtp.handler.rcpt_replies == []  # every refusal was used: the server saw each try

        traveller.shift(timedelta(days=1))
        with app.app_context():
            assert enqueue_waiting_work().emails == 0
        worker_pass()

    assert email_row(app, "invitation").attempts == attempts
    with app.app_context():
        failed = db.session.get(SignupRequest, signup.id)
        assert failed.state == RequestState.FAILED
        assert failed.failure_reason == f"Invitation email could not be delivered: {TRY_LATER}"
    assert [message["Subject"] for message in smtp.messages] == [
        "We received your request for a free training license"]


def test_a_relay_that_accepts_the_connection_and_never_answers_times_out_and_is_retried(app, smtp):
    """A stalled relay must not hang the worker: MAIL_TIMEOUT_SECONDS ends the attempt, kept for a retry."""
    with socket.socket() as stalled:  # listens, so the connection is made, but never says a word
        stalled.bind(("127.0.0.1", 0))
        stalled.listen()
        app.config["MAIL_TIMEOUT_SECONDS"] = 1
        app.extensions["mail"].port = stalled.getsockname()[1]
        try:
            with app.app_context():
                signup = make_signup()
                result = send_email(signup.emails[0].id)
        finally:
            app.extensions["mail"].port = smtp.port
    assert type(result).__name__ == "Retry"
    email = email_row(app, "confirmation")
    assert (email.status, email.attempts) == (EmailStatus.PENDING, 1)
    assert "timed out" in email.last_error.lower()
    assert smtp.messages == []
