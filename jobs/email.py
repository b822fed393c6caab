from rq import Retry

from jobs.context import job_context
from jobs.schedule import EMAIL_RETRY_INTERVALS
from portal import notifications
from portal.notifications import DeliveryResult

#: The first try and one after each interval of the schedule.
MAX_ATTEMPTS = len(EMAIL_RETRY_INTERVALS) + 1


def send_email(email_id: int) -> str | Retry:
    """Send one outbox email. Temporary SMTP failures come back as a Retry on the schedule in
    jobs.schedule; permanent ones, and the last retry, mark the email failed for staff to see."""
    with job_context():
        result = notifications.deliver_email(email_id, max_attempts=MAX_ATTEMPTS)
    if result == DeliveryResult.RETRY:
        return Retry(max=len(EMAIL_RETRY_INTERVALS), interval=EMAIL_RETRY_INTERVALS)
    return str(result)
