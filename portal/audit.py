"""The audit trail: one `audit_events` row for each thing a staff member, a job or a command did.

`record_audit` adds the row to the caller's transaction, so the record and the change it tells
about are committed together or not at all. Rows are never changed or deleted (see
`portal.models.AuditEvent`), and they outlive the purge of personal data; so the values of personal
fields are not written into them: the row says that such a field was there (or changed), not what
it held.
"""

import json
from typing import Any

from portal.extensions import db
from portal.models import AuditEvent, SignupRequest, StaffUser

#: Fields whose values identify a person; the purge removes them after the retention period.
PERSONAL_FIELDS = frozenset({"first_name", "last_name", "email", "phone", "zip_code", "case_id"})
NOT_KEPT = "(personal data: not kept in the audit trail)"


def record_audit(
    action: str,
    *,
    actor: str,
    staff: StaffUser | None = None,
    signup: SignupRequest | None = None,
    request_id: int | None = None,
    reference_code: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Add an audit row to the current transaction (the caller commits).

    `actor` is "staff" when `staff` acted, otherwise the name of the job or command. The request is
    named by `signup`, or by its id and reference code when the row itself is gone or going.
    """
    if signup is not None:
        request_id, reference_code = signup.id, signup.reference_code
    event = AuditEvent(
        action=action,
        actor=actor,
        staff=staff,
        request_id=request_id,
        reference_code=reference_code,
        before=_storable(before),
        after=_storable(after),
        reason=reason,
    )
    db.session.add(event)
    return event


def _storable(fields: dict[str, Any] | None) -> dict[str, Any] | None:
    """The fields as JSON can hold them (dates as ISO text), personal values replaced."""
    if fields is None:
        return None
    kept = {name: NOT_KEPT if name in PERSONAL_FIELDS and value else value for name, value in fields.items()}
    return json.loads(json.dumps(kept, default=_as_text))


def _as_text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
