from jobs.context import job_context
from portal.activation import promote_waitlist as promote_oldest_waiting


def promote_waitlist() -> str:
    """Hand free seats to the oldest waiting requests (run on a schedule, see jobs.schedule)."""
    with job_context():
        return f"{promote_oldest_waiting()} promoted"
