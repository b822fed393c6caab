from jobs.context import job_context
from portal import activation


def activate_request(request_id: int) -> str:
    """Invite an approved request (or waitlist it). A second run finds nothing to do."""
    with job_context():
        return str(activation.activate_request(request_id))
