"""The audit trail as administrators read it: newest first, a page at a time by keyset (the time
and id of the last row shown, as in `portal.admin.queries`), narrowed by staff member, action and
days. Reading only: nothing here, or anywhere in the app, changes or deletes an audit row."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from portal.admin.queries import Page, keyset_page
from portal.clock import end_of_local_day, start_of_local_day
from portal.extensions import db
from portal.models import AuditEvent, SignupRequest, StaffUser


@dataclass(frozen=True)
class AuditFilters:
    staff_id: int | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def apply(self, query):
        if self.staff_id is not None:
            query = query.where(AuditEvent.staff_id == self.staff_id)
        if self.action:
            query = query.where(AuditEvent.action == self.action)
        if self.date_from:
            query = query.where(AuditEvent.created_at >= start_of_local_day(self.date_from))
        if self.date_to:
            query = query.where(AuditEvent.created_at < end_of_local_day(self.date_to))
        return query


def audit_page(filters: AuditFilters, cursor: str | None, page_size: int = 50) -> Page:
    """One page of the audit trail, newest first."""
    return keyset_page(filters.apply(select(AuditEvent)), AuditEvent.created_at, AuditEvent.id, cursor=cursor,
                       oldest_first=False, page_size=page_size)


def audit_actions() -> list[str]:
    """Every action the trail holds, for the filter."""
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def staff_who_acted() -> list[StaffUser]:
    """Every staff account (a disabled one still acted), by email."""
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.email)))


def reference_codes_still_held(events) -> set[str]:
    """Which of the requests these rows name still exist (the purge removes requests, never the rows)."""
    codes = {event.reference_code for event in events if event.reference_code}
    if not codes:
        return set()
    return set(db.session.scalars(select(SignupRequest.reference_code).where(SignupRequest.reference_code.in_(codes))))
