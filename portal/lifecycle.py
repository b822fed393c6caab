"""A request's life: moving it from state to state, and claiming it so only one process acts.

Every change of state goes through `record_state_change`, which writes the history row that says
who and why; every job or staff action that changes a request first claims it here.
"""

from sqlalchemy import update

from portal.extensions import db
from portal.models import EventKind, RequestEvent, RequestState, SignupRequest, StaffUser, utcnow


def record_state_change(
    signup: SignupRequest,
    new_state: RequestState,
    *,
    actor: str,
    reason: str | None = None,
    staff: StaffUser | None = None,
) -> None:
    """Move a request to a new state and write the row of history that says who and why."""
    _add_event(RequestEvent(signup_request=signup, from_state=signup.state, to_state=new_state, actor=actor,
                            reason=reason, staff=staff))
    signup.state = new_state


def record_change(
    signup: SignupRequest,
    *,
    actor: str,
    reason: str,
    staff: StaffUser | None = None,
    kind: EventKind = EventKind.CHANGE,
) -> None:
    """Write a timeline entry for something that changed without a change of state (an address, a
    language, an email sent again) or for a staff note."""
    _add_event(RequestEvent(signup_request=signup, kind=kind, from_state=signup.state, to_state=signup.state,
                            actor=actor, reason=reason, staff=staff))


def _add_event(event: RequestEvent) -> None:
    """Added through its request, not appended to `signup.events`: an append would first read every
    earlier row of the history (a query per state change in a job that only adds one)."""
    db.session.add(event)


def claim_request(request_id: int, expected_state: str) -> bool:
    """Lock a request for this transaction if it is still in `expected_state`.

    On PostgreSQL a second claimer waits for our commit, then re-reads the state and finds it
    changed; on SQLite the write lock does the same. So of two workers (or a job delivered twice)
    only one acts.
    """
    return bool(
        db.session.execute(
            update(SignupRequest)
            .where(SignupRequest.id == request_id, SignupRequest.state == expected_state)
            .values(updated_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
    )
