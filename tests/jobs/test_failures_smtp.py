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
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from jobs.email import send_email
from jobs.schedule import EMAIL_RETRY_INTERVALS
from portal.activation import activate_request
from portal.config import RFC_5321_TIMEOUTS
from portal.extensions import db
from portal.models import EmailStatus, OutboundEmail, RequestState, SignupRequest
from portal.outbox import sending_lease
from portal.queue import enqueue_email_delivery, job_queue, redis_connection
from portal.sweep import enqueue_waiting_work
from tests.factories import make_signup, make_staff, sign_in
from tests.smtp import email_kind

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
        assert [message["Subject"] for message in smtp.messages] == ["Your free access to Coursera is ready"]
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
    assert subjects == ["We got your request for free online courses", "Your free access to Coursera is ready"]
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
        "We got your request for free online courses"]  # the confirmation, before the refusal


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
        "We got your request for free online courses"]


def test_a_relay_that_accepts_the_connection_and_never_answers_times_out_and_is_retried(app, smtp):
    """A stalled relay must not hang the worker: the greeting's timeout ends the attempt, kept for a retry."""
    with socket.socket() as stalled:  # listens, so the connection is made, but never says a word
        stalled.bind(("127.0.0.1", 0))
        stalled.listen()
        app.config["MAIL_GREETING_TIMEOUT"] = 1
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


# --- RFC 5321's timeouts, step by step ----------------------------------------------------------------

MAY_HAVE_ARRIVED = "it may have arrived. It was not sent again automatically."


def test_a_relay_that_answers_250_only_after_20_seconds_delivers_the_email_once(app, smtp, worker_pass):
    """The issue's finding: with one 15 s timeout for everything, the late "250" counted as a failure and
    the retry delivered the email a second time. RFC 5321 gives the answer to the final "." 10 minutes."""
    app.config.update(RFC_5321_TIMEOUTS)  # production's timeouts
    with app.app_context():
        address = make_signup(employment_status="employed", layoff_notice="no").email  # one email: not eligible
    smtp.handler.data_reply_delay = 20

    with time_machine.travel(datetime.now(UTC)) as traveller:
        worker_pass()
        email = email_row(app, "not_eligible")
        assert (email.status, email.attempts, email.last_error) == (EmailStatus.SENT, 1, None)
        assert scheduled_job_ids(app) == []

        traveller.shift(timedelta(days=1))  # every retry interval long past
        with app.app_context():
            assert enqueue_waiting_work().emails == 0
        worker_pass()
    assert len(smtp.messages_to(address)) == 1


@pytest.mark.parametrize("relay", ["answers too late", "hangs up"])
def test_no_answer_after_the_final_dot_is_failed_for_staff_and_never_sent_again(app, client, smtp, worker_pass,
                                                                                 relay):
    signup = invitation_waiting_in_the_queue(app)
    app.config["MAIL_DATA_TERMINATION_TIMEOUT"] = 1
    if relay == "answers too late":
        smtp.handler.data_reply_delay = 3
    else:
        smtp.handler.drop_after_data = True

    with time_machine.travel(datetime.now(UTC)) as traveller:
        worker_pass()
        invitation = email_row(app, "invitation")
        assert (invitation.status, invitation.attempts) == (EmailStatus.FAILED, 1)
        assert invitation.last_error.endswith(MAY_HAVE_ARRIVED)
        assert scheduled_job_ids(app) == []  # no retry

        smtp.handler.data_reply_delay, smtp.handler.drop_after_data = 0, False  # the relay is well again
        traveller.shift(timedelta(days=1))
        with app.app_context():
            assert enqueue_waiting_work().emails == 0
        worker_pass()

    assert [email_kind(message) for message in smtp.messages_to(signup.email)] == ["confirmation", "invitation"]
    with app.app_context():
        failed = db.session.get(SignupRequest, signup.id)
        assert failed.state == RequestState.FAILED
        assert failed.failure_reason.endswith(MAY_HAVE_ARRIVED)
        make_staff()
    sign_in(client)
    assert "it may have arrived" in client.get("/admin/queues/stuck-sends").get_data(as_text=True)  # staff settle it


def test_each_step_waits_as_long_as_its_own_timeout(app, smtp):
    app.config.update(MAIL_COMMAND_TIMEOUT=1, MAIL_DATA_TERMINATION_TIMEOUT=10)
    with app.app_context():
        signup = make_signup(employment_status="employed", layoff_notice="no")
        email_id = signup.emails[0].id
        smtp.handler.rcpt_delay = 2  # longer than a command may take: nothing sent, tried again later
        assert type(send_email(email_id)).__name__ == "Retry"
        assert smtp.messages == []
        assert "timed out" in db.session.get(OutboundEmail, email_id, populate_existing=True).last_error

        smtp.handler.rcpt_delay = 0
        smtp.handler.data_reply_delay = 2  # longer than a command, well within the final answer's 10 s
        assert send_email(email_id) == "sent"
    assert len(smtp.messages) == 1


def test_the_email_job_may_last_as_long_as_the_longest_conversation(app):
    app.config.update(RFC_5321_TIMEOUTS)
    with app.app_context():
        email_id = make_signup().emails[0].id  # its activation job sends it; any other email has a job of its own
        enqueue_email_delivery(email_id)
        job = Job.fetch(f"email-{email_id}", connection=redis_connection())
        assert job.timeout > 10 * 60 + 2 * 60 + 3 * 60 + 5 * 60  # RQ's default of 180 s would cut the 250 off
        assert sending_lease().total_seconds() > job.timeout  # a slow relay is never taken for a dead worker
