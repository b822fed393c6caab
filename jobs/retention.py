from jobs.context import job_context
from portal.retention import purge_expired as purge


def purge_expired() -> str:
    """Delete the personal data whose retention period is over (run on a schedule, see jobs.schedule)."""
    with job_context():
        report = purge(actor="purge job")
    return f"{report.requests} requests, {report.export_files} export files purged"
