"""Redis is the executor, the database the record: a sign-up made while Redis is down still ends invited."""

from jobs.cli import sweep_command
from portal.extensions import db
from portal.models import RequestState, SignupRequest
from portal.sweep import enqueue_waiting_work
from tests.conftest import post_form
from tests.factories import FORM_DATA
from tests.smtp import free_port


def test_signup_while_redis_is_down_is_saved_and_invited_after_the_sweep(app, smtp, run_jobs):
    good_redis = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app.extensions.pop("portal_redis", None)
    response = post_form(app.test_client(), "/en/signup", FORM_DATA)
    assert response.status_code == 302  # the person is not told about our outage
    with app.app_context():
        signup = SignupRequest.query.one()
        assert signup.state == RequestState.APPROVED

    app.config["REDIS_URL"] = good_redis
    app.extensions.pop("portal_redis", None)
    run_jobs()
    assert smtp.messages == []  # nothing was queued while Redis was away

    with app.app_context():
        report = enqueue_waiting_work()
        # One job: the activation job sends the confirmation with the invitation.
        assert (report.activations, report.emails, report.not_enqueued) == (1, 0, 0)
        assert enqueue_waiting_work().not_enqueued == 0  # a second sweep stacks nothing
    run_jobs()
    with app.app_context():
        db.session.refresh(signup := SignupRequest.query.one())
        assert signup.state == RequestState.INVITED
    assert sorted(m["Subject"] for m in smtp.messages) == [
        "We got your request for free online courses", "Your free access to Coursera is ready"]


def test_sweep_command_reports_what_it_enqueued(app, runner, smtp):
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    app.extensions.pop("portal_redis", None)
    with app.app_context():
        from tests.factories import make_signup

        make_signup()
    result = runner.invoke(sweep_command)
    assert result.exit_code == 1
    assert "could not be enqueued" in result.output
