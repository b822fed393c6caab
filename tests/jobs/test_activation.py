import sqlalchemy

from portal import seats
from portal.activation import ActivationResult, activate_request
from portal.extensions import db
from portal.models import EmailStatus, OutboundEmail, RequestState, SeatPool
from portal.programs import current_program
from tests.factories import make_signup
from tests.jobs.workers import ON_POSTGRESQL
from tests.smtp import text_body


def test_activation_invites_takes_a_seat_and_sends_the_invitation(app, app_context, smtp, run_jobs):
    signup = make_signup()
    run_jobs()
    db.session.refresh(signup)
    assert signup.state == RequestState.INVITED
    assert signup.invited_at is not None
    assert signup.events[-1].to_state == "invited" and signup.events[-1].actor == "activation job"
    assert seats.seats_taken(current_program()) == 1
    subjects = sorted(message["Subject"] for message in smtp.messages_to(signup.email))
    assert subjects == ["We got your request for free online courses", "Your free access to Coursera is ready"]
    invitation = next(m for m in smtp.messages if m["Subject"] == "Your free access to Coursera is ready")
    body = text_body(invitation)
    assert "https://portal.test/en/join/" in body
    assert signup.reference_code in body
    assert "Create your account by" in body


def test_running_activation_twice_sends_one_invitation(app, app_context, smtp, run_jobs):
    signup = make_signup()
    run_jobs()
    assert activate_request(signup.id) == ActivationResult.NOTHING_TO_DO
    # And the job itself, delivered again by RQ (at least once), finds nothing to do either.
    from jobs.activation import activate_request as activate_job
    from jobs.email import send_email

    assert activate_job(signup.id) == "nothing to do"
    for email in OutboundEmail.query.all():
        assert send_email(email.id) == "skipped"
    run_jobs()
    invitations = [m for m in smtp.messages if m["Subject"] == "Your free access to Coursera is ready"]
    assert len(invitations) == 1
    assert seats.seats_taken(current_program()) == 1


def test_no_seat_left_means_waitlisted_told_so_and_no_invitation(app, app_context, smtp, run_jobs):
    from portal.models import SeatPool

    program = current_program()
    db.session.add(SeatPool(program=program.code, seats_taken=program.seat_cap))
    db.session.commit()
    signup = make_signup()
    run_jobs()
    db.session.refresh(signup)
    assert signup.state == RequestState.WAITLISTED
    assert signup.events[-1].reason == "no seats left"
    assert [m["Subject"] for m in smtp.messages] == [
        "We got your request for free online courses", "You are on the waiting list for free courses"]
    assert seats.seats_taken(program) == program.seat_cap


def test_needs_review_is_not_activated(app, app_context, smtp, run_jobs):
    signup = make_signup(employment_status="return_to_work_date")
    run_jobs()
    db.session.refresh(signup)
    assert signup.state == RequestState.NEEDS_REVIEW
    assert activate_request(signup.id) == ActivationResult.NOTHING_TO_DO


def test_permanent_smtp_refusal_fails_the_request_where_staff_see_it(app, app_context, smtp, run_jobs):
    from jobs.email import send_email

    signup = make_signup()
    # Let the confirmation through, then refuse the invitation's recipient for good.
    assert send_email(signup.emails[0].id) == "sent"
    smtp.refuse_next("550 5.1.1 Mailbox does not exist")
    run_jobs()
    db.session.refresh(signup)
    invitation = OutboundEmail.query.filter_by(kind="invitation").one()
    assert invitation.status == EmailStatus.FAILED
    assert invitation.attempts == 1
    assert invitation.last_error.startswith("550")
    assert signup.state == RequestState.FAILED
    assert "550" in signup.failure_reason


def test_temporary_smtp_refusal_is_kept_for_a_retry(app, app_context, smtp):
    from rq import Retry

    from jobs.email import send_email

    signup = make_signup()
    smtp.refuse_next("451 4.3.0 Try again later")
    result = send_email(signup.emails[0].id)
    assert isinstance(result, Retry)
    email = db.session.get(OutboundEmail, signup.emails[0].id)
    db.session.refresh(email)
    assert (email.status, email.attempts) == (EmailStatus.PENDING, 1)
    assert email.last_error.startswith("451")
    assert send_email(email.id) == "sent"  # the retry goes through, once
    assert len(smtp.messages) == 1


def test_unreachable_smtp_server_is_temporary(app, app_context, smtp):
    from jobs.email import send_email
    from tests.smtp import free_port

    signup = make_signup()
    app.extensions["mail"].port = free_port()  # nothing listens there
    try:
        result = send_email(signup.emails[0].id)
    finally:
        app.extensions["mail"].port = smtp.port
    assert type(result).__name__ == "Retry"
    db.session.refresh(signup.emails[0])
    assert "ConnectionRefusedError" in signup.emails[0].last_error


@ON_POSTGRESQL
def test_a_seat_pool_created_by_another_process_meanwhile_is_used_not_taken_for_full(app, app_context):
    """Four workers on a new database (the scale-out benchmark): one's seat UPDATE found no pool row,
    and another worker created the row before the first looked for it. The first must take a seat
    then, not put the person on the waiting list with every seat free."""
    program = current_program()
    other_process = sqlalchemy.create_engine(db.engine.url.render_as_string(hide_password=False))
    created = []

    def create_the_pool_right_after_the_first_update(_conn, cursor, statement, *_args):
        if statement.startswith("UPDATE seat_pools") and cursor.rowcount == 0 and not created:
            with other_process.begin() as connection:
                connection.execute(sqlalchemy.insert(SeatPool).values(program=program.code, seats_taken=0))
            created.append(True)

    sqlalchemy.event.listen(db.engine, "after_cursor_execute", create_the_pool_right_after_the_first_update)
    try:
        assert seats.take_seat(program)
        db.session.commit()
    finally:
        sqlalchemy.event.remove(db.engine, "after_cursor_execute", create_the_pool_right_after_the_first_update)
        other_process.dispose()
    assert created == [True]
    assert seats.seats_taken(program) == 1
