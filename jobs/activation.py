from jobs.context import job_context
from jobs.email import MAX_ATTEMPTS
from jobs.schedule import EMAIL_RETRY_INTERVALS
from portal import activation, notifications, outbox, queue
from portal.notifications import DeliveryResult


def activate_request(request_id: int) -> str:
    """Invite an approved request (or waitlist it), then send its confirmation and what the activation
    decided, in this job: one job per sign-up, not three (bench/: RQ's own work per job cost more
    than the emails). A second run finds nothing to do, and nothing to send."""
    with job_context():
        with outbox.held_from_queue() as committed:
            result = activation.activate_request(request_id)
        # The confirmation the sign-up left to this job, then what this activation committed: the
        # invitation, or a waiting person's whose seat it handed on.
        email_ids = set(committed)
        if (confirmation := notifications.confirmation_left_to_activation(request_id)) is not None:
            email_ids.add(confirmation)
        for email_id in sorted(email_ids):
            delivered = notifications.deliver_email(email_id, max_attempts=MAX_ATTEMPTS)
            if delivered == DeliveryResult.RETRY:  # its own job tries again, on the usual schedule
                queue.enqueue_email_retry(email_id, EMAIL_RETRY_INTERVALS[0])
    return str(result)
