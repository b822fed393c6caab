from jobs.context import job_context
from portal.exports import export_provider_files_due


def export_provider_files() -> str:
    """The provider's daily files not yet made (run on a schedule, see jobs.schedule); catches up missed days."""
    with job_context():
        made = [f"{result.filename} ({result.row_count} rows)" for result in export_provider_files_due()]
    return ", ".join(made) if made else "nothing to export"
