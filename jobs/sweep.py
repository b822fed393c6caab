from jobs.context import job_context
from portal.sweep import enqueue_waiting_work


def sweep() -> str:
    """Enqueue whatever the database says is waiting (run on a schedule, see jobs.schedule)."""
    with job_context():
        report = enqueue_waiting_work()
    summary = f"{report.activations} activations, {report.emails} emails"
    return summary + (f", {report.rq_errors} RQ errors (logged)" if report.rq_errors else "")
