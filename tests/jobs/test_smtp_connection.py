"""A worker keeps its SMTP connection from one email to the next, and never sends one twice for it."""

from tests.factories import make_signup
from tests.jobs.workers import sent


def test_a_worker_sends_one_email_after_another_over_one_connection(app, smtp, run_jobs):
    with app.app_context():
        address = make_signup().email  # its confirmation, then its activation and invitation
    run_jobs()
    assert sent(smtp.messages) == {(address, "confirmation"): 1, (address, "invitation"): 1}
    assert smtp.handler.connections == 1


def test_a_kept_connection_the_relay_closed_is_replaced_and_each_email_sent_once(app, smtp, run_jobs):
    smtp.handler.one_message_a_connection = True  # "421 closing" to the second MAIL on a connection
    with app.app_context():
        address = make_signup().email
    run_jobs()
    assert sent(smtp.messages) == {(address, "confirmation"): 1, (address, "invitation"): 1}
    assert smtp.handler.connections == 2
