"""What help-desk staff do to a request, one function per action.

Every action is one transaction: it claims the request (so no job or colleague acts on it at the
same moment), checks that the request is still as the staff member saw it, makes the change with
its history row and its email (through the outbox, in the applicant's language), writes the audit
row (who, when, which action, the fields before and after, the reason typed), and commits; or it
raises `ActionRefused` and changes nothing.

- `decisions`: approve or deny a request that waits for review; activate one stuck as approved.
- `contact`: correct the email address, change the language, add a note.
- `deliveries`: send the invitation again (a fresh link), retry a failed email, settle a stuck one.
- `closing`: withdraw at the person's request, take the license back, re-enrol.
"""

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select

from portal.audit import record_audit
from portal.extensions import db
from portal.lifecycle import claim_request
from portal.models import RequestEvent, RequestState, SignupRequest, StaffUser


class ActionRefused(Exception):
    """The action was not done and nothing changed; the message says why, in words for staff."""


def timeline_version(signup: SignupRequest) -> int:
    """What a staff member saw of a request: its newest timeline entry. Every action adds one, so a
    form made before someone else acted (or sent twice) no longer matches."""
    return db.session.scalar(select(func.max(RequestEvent.id)).where(RequestEvent.request_id == signup.id)) or 0


def claim_for_staff(request_id: int, *, allowed_states: Iterable[str], seen_version: int | None) -> SignupRequest:
    """The request, locked for this transaction, if it is in one of `allowed_states` and unchanged
    since the staff member's page showed timeline entry `seen_version` (None: do not check, for
    actions such as notes that never conflict); ActionRefused otherwise."""
    signup = db.session.get(SignupRequest, request_id, populate_existing=True)
    if signup is None:
        raise ActionRefused(gettext("There is no such request."))
    if signup.state not in tuple(allowed_states):
        db.session.rollback()
        raise ActionRefused(gettext("This cannot be done while the request is “%(state)s”. Nothing was changed.",
                                    state=signup.state_label))
    if not claim_request(request_id, signup.state) or (
            seen_version is not None and timeline_version(signup) != seen_version):
        db.session.rollback()
        raise _changed_meanwhile()
    return signup


def _changed_meanwhile() -> ActionRefused:
    return ActionRefused(gettext("The request changed after you opened it (someone else acted on it, or the form "
                                 "was sent twice). Nothing was changed: look at it again, then act."))


def finish(signup: SignupRequest, staff: StaffUser, action: str, *, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None, reason: str | None = None) -> None:
    """Write the audit row and commit the action."""
    record_audit(action, actor="staff", staff=staff, signup=signup, before=before, after=after, reason=reason or None)
    db.session.commit()


#: Requests not yet closed: the help desk can still act on them.
OPEN_STATES = tuple(state for state in RequestState
                    if state not in (RequestState.DENIED, RequestState.REMOVED, RequestState.COMPLETED))
