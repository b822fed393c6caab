"""Workers killed with SIGKILL at the worst moments, then restarted: nothing half done, nothing twice.

Each test stops a real `flask --app wsgi worker` at a chosen point without sleeps: PostgreSQL holds
the activation at its seat UPDATE (a row lock of the test's own), or the SMTP server holds a message's
DATA. Then the worker and its work
horse are killed as a lost machine would be, and the sweep, with the clock moved on where RQ and
the outbox compare clocks, recovers what the database says is still to do.
"""

import asyncio
import email
import threading
from datetime import UTC, datetime, timedelta
from email.policy import default

import pytest
import time_machine
from aiosmtpd.controller import Controller
from rq.job import JobStatus

from portal import queue, seats
from portal.activation import activate_request
from portal.extensions import db
from portal.models import EmailStatus, OutboundEmail, RequestState, SignupRequest, utcnow
from portal.programs import current_program
from portal.queue import job_queue
from portal.sweep import enqueue_waiting_work
from tests.factories import make_signup
from tests.jobs.workers import ON_POSTGRESQL, job_status, sent
from tests.processes import wait_until
from tests.smtp import email_kind, free_port

STUCK_EMAIL_ERROR = "The worker stopped while sending this email; it may or may not have arrived."


@pytest.fixture
def redis_url(private_redis_url):
    """Our own Redis: these workers must run this test's jobs, not another test run's."""
    return private_redis_url


# --- Killed inside the activation transaction ------------------------------------------------------

@ON_POSTGRESQL
def test_worker_killed_mid_activation_leaves_nothing_half_done_and_a_fresh_worker_finishes_once(
    app, smtp, start_worker, seat_pool_lock
):
    with app.app_context():
        signup_id = make_signup().id  # its confirmation, then its activation, wait in the queue
    activation_job_id = f"activate-{signup_id}"

    worker = start_worker()
    backend = seat_pool_lock.wait_for_blocked_activation()
    assert worker.work_horses(), "the activation runs in the worker process its supervisor forked"
    worker.kill()  # the worker and its work horse, at once
    seat_pool_lock.release()  # the dead worker's UPDATE goes through, but its transaction can never commit
    seat_pool_lock.wait_for_session_end(backend)

    with app.app_context():
        signup = db.session.get(SignupRequest, signup_id)
        assert (signup.state, signup.holds_seat) == (RequestState.APPROVED, False)  # the claim rolled back
        assert seats.seats_taken(current_program()) == 0
        assert [event.to_state for event in signup.events] == ["submitted", "approved"]
        # RQ still believes the job runs: a sweep now must not stack a second copy behind it.
        assert job_status(activation_job_id) == JobStatus.STARTED
        enqueue_waiting_work()
        assert job_queue().count == 0

        # Minutes later the job's heartbeat (about 90 s) has expired: the sweep sees it abandoned.
        with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5)):
            report = enqueue_waiting_work()
        assert (report.activations, report.not_enqueued) == (1, 0)
        assert job_queue().job_ids == [activation_job_id]

    start_worker().wait_for_success()  # the restarted worker
    with app.app_context():
        signup = db.session.get(SignupRequest, signup_id)
        assert (signup.state, signup.holds_seat) == (RequestState.INVITED, True)
        assert seats.seats_taken(current_program()) == 1
        assert [event.to_state for event in signup.events].count("invited") == 1
        address = signup.email
    assert sent(smtp.messages) == {(address, "confirmation"): 1, (address, "invitation"): 1}


# --- Killed after the activation committed, before the invitation was sent ---------------------------

@ON_POSTGRESQL
def test_worker_killed_after_the_activation_commits_leaves_the_invitation_to_the_sweep(
    app, start_worker, stalling_smtp
):
    stalling_smtp.stalled_kind = "confirmation"  # the job sends it first, then the invitation
    with app.app_context():
        signup_id = make_signup().id
    activation_job_id = f"activate-{signup_id}"

    worker = start_worker()
    wait_until(stalling_smtp.holding.is_set, timeout=60, what="the confirmation's DATA to reach the server")
    worker.kill()
    stalling_smtp.release.set()

    with app.app_context():
        signup = db.session.get(SignupRequest, signup_id)
        assert (signup.state, signup.holds_seat) == (RequestState.INVITED, True)
        assert seats.seats_taken(current_program()) == 1
        invitation = next(email for email in signup.emails if email.kind == "invitation")
        assert (invitation.status, invitation.attempts) == (EmailStatus.PENDING, 0)
        assert job_status(f"email-{invitation.id}") is None  # it was to go in the activation's job
        assert job_status(activation_job_id) == JobStatus.STARTED

        report = enqueue_waiting_work()  # the periodic sweep: the outbox row says it waits
        assert (report.activations, report.emails, report.not_enqueued) == (0, 1, 0)
        assert job_queue().job_ids == [f"email-{invitation.id}"]

    start_worker().wait_for_success()
    with app.app_context(), time_machine.travel(datetime.now(UTC) + timedelta(minutes=5)):
        # The abandoned activation is noticed, but its request is invited: nothing is run again.
        report = enqueue_waiting_work()
        assert (report.activations, report.emails) == (0, 0)
        assert job_status(activation_job_id) == JobStatus.FAILED
        assert job_queue().count == 0

    with app.app_context():
        signup = db.session.get(SignupRequest, signup_id)
        assert [event.to_state for event in signup.events].count("invited") == 1
        assert seats.seats_taken(current_program()) == 1
        address = signup.email
    # The relay took the confirmation whose "250" the dead worker never heard: it is not sent again.
    assert sent(stalling_smtp.messages) == {(address, "confirmation"): 1, (address, "invitation"): 1}


# --- Killed in the middle of an SMTP conversation ------------------------------------------------

class StallingHandler:
    """An SMTP server that takes every message, but holds the DATA of one kind (an invitation)
    unanswered until released: the relay has the message, the sender is still waiting for the "250"."""

    def __init__(self):
        self.stalled_kind = "invitation"
        self.messages = []
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default)
        self.messages.append(message)  # the relay has it, whatever the sender learns
        if email_kind(message) == self.stalled_kind and not self.release.is_set():
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        return "250 Message accepted"


@pytest.fixture
def stalling_smtp(app):
    handler = StallingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config["MAIL_PORT"] = controller.port
    app.config["MAIL_DATA_TERMINATION_TIMEOUT"] = 120  # the worker must still be waiting when it is killed
    yield handler
    handler.release.set()
    controller.stop()


@ON_POSTGRESQL
def test_worker_killed_mid_smtp_leaves_the_invitation_to_staff_and_never_sends_it_again(
    app, start_worker, stalling_smtp
):
    with app.app_context():
        signup_id = make_signup().id
    worker = start_worker()
    wait_until(stalling_smtp.holding.is_set, timeout=60, what="the invitation's DATA to reach the server")
    worker.kill()  # the invitation reached the relay, but its sender never heard the "250"
    stalling_smtp.release.set()

    with app.app_context():
        invitation = OutboundEmail.query.filter_by(kind="invitation").one()
        assert (invitation.status, invitation.attempts) == (EmailStatus.SENDING, 1)
        sending_job_id = f"activate-{signup_id}"  # the activation's job sends its invitation
        assert job_status(sending_job_id) == JobStatus.STARTED
        report = enqueue_waiting_work()  # within the lease: nothing decided, nothing re-sent
        assert (report.stuck_emails, report.emails) == (0, 0)
        assert job_queue().count == 0

        with time_machine.travel(datetime.now(UTC) + timedelta(minutes=20)):
            report = enqueue_waiting_work()
        assert (report.stuck_emails, report.emails, report.activations) == (1, 0, 0)
        assert job_status(sending_job_id) == JobStatus.FAILED  # RQ's side: abandoned, not retried
        db.session.refresh(invitation)
        assert (invitation.status, invitation.attempts) == (EmailStatus.FAILED, 1)
        assert invitation.last_error.startswith(STUCK_EMAIL_ERROR)
        signup = db.session.get(SignupRequest, signup_id)
        assert signup.state == RequestState.FAILED
        assert signup.failure_reason == f"Invitation email could not be delivered: {invitation.last_error}"
        address = signup.email
        queue.enqueue_email_delivery(invitation.id)  # even a stray copy of its job sends nothing

    start_worker().wait_for_success()
    with app.app_context():
        assert db.session.get(OutboundEmail, invitation.id).status == EmailStatus.FAILED
    assert sent(stalling_smtp.messages) == {(address, "confirmation"): 1, (address, "invitation"): 1}


def test_email_left_sending_by_a_dead_worker_is_failed_for_staff_and_never_sent_again(app, smtp, run_jobs):
    with app.app_context():
        signup = make_signup()
        activate_request(signup.id)  # invited; the invitation's job waits in the queue
        invitation = OutboundEmail.query.filter_by(kind="invitation").one()
        # What a SIGKILL during the SMTP conversation leaves: claimed, tried once, never finished.
        invitation.status = EmailStatus.SENDING
        invitation.attempts = 1
        invitation.last_attempt_at = utcnow() - timedelta(minutes=20)
        db.session.commit()

        report = enqueue_waiting_work()
        assert report.stuck_emails == 1
        db.session.refresh(invitation)
        db.session.refresh(signup)
        assert invitation.status == EmailStatus.FAILED
        assert invitation.last_error.startswith(STUCK_EMAIL_ERROR)
        assert "not sent again" in invitation.last_error
        assert signup.state == RequestState.FAILED
        assert signup.failure_reason == f"Invitation email could not be delivered: {invitation.last_error}"
        assert enqueue_waiting_work().stuck_emails == 0  # marked once
        invitation_id, address = invitation.id, signup.email

    run_jobs()  # the invitation's job still in the queue, and the confirmation's
    with app.app_context():
        assert db.session.get(OutboundEmail, invitation_id).status == EmailStatus.FAILED
    assert sent(smtp.messages) == {(address, "confirmation"): 1}
