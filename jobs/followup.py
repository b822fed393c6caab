from jobs.context import job_context
from portal.followup import send_due_follow_ups as send_due


def send_due_follow_ups() -> str:
    """Reminders and removals that are due (run on a schedule, see jobs.schedule)."""
    with job_context():
        report = send_due()
    return f"{report.reminders} reminders, {report.removals} removals"
