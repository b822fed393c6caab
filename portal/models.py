"""The portal's tables. Models hold data and small helpers; the rules live in the services."""

import enum
import secrets
from datetime import UTC, date, datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, event, false, text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates

from portal.extensions import db
from portal.identifiers import mailbox_key, searchable_name


def utcnow() -> datetime:
    """Naive UTC, the one kind of timestamp we store (SQLite keeps no time zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


class RequestState(enum.StrEnum):
    SUBMITTED = "submitted"
    NEEDS_REVIEW = "needs_review"
    DENIED = "denied"
    APPROVED = "approved"
    WAITLISTED = "waitlisted"
    INVITED = "invited"
    ENROLLED = "enrolled"
    ACTIVE = "active"
    COMPLETED = "completed"
    REMOVED = "removed"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    RequestState.SUBMITTED: _l("Submitted"),
    RequestState.NEEDS_REVIEW: _l("Needs review"),
    RequestState.DENIED: _l("Not eligible"),
    RequestState.APPROVED: _l("Approved, waiting for activation"),
    RequestState.WAITLISTED: _l("On the waitlist"),
    RequestState.INVITED: _l("Invited"),
    RequestState.ENROLLED: _l("Enrolled"),
    RequestState.ACTIVE: _l("Active"),
    RequestState.COMPLETED: _l("Completed"),
    RequestState.REMOVED: _l("Removed"),
    RequestState.FAILED: _l("Failed"),
}

#: Not yet invited: what the activation promise is about.
PENDING_STATES = (
    RequestState.SUBMITTED,
    RequestState.NEEDS_REVIEW,
    RequestState.APPROVED,
    RequestState.WAITLISTED,
    RequestState.FAILED,
)
#: A person may hold one open request per program; these states no longer count.
CLOSED_STATES = (RequestState.DENIED, RequestState.REMOVED, RequestState.COMPLETED)
_CLOSED_SQL = "state NOT IN ('denied', 'removed', 'completed')"


class SignupRequest(db.Model):
    __tablename__ = "signup_requests"
    __table_args__ = (
        # The database is the last guard against a double sign-up (a double tap, two tabs, the same
        # mailbox written another way): one open request per person, by mailbox.
        Index(
            "uq_signup_requests_open_mailbox",
            "program",
            "email_key",
            unique=True,
            postgresql_where=text(_CLOSED_SQL),
            sqlite_where=text(_CLOSED_SQL),
        ),
        Index("ix_signup_requests_state_created", "state", "created_at"),
        # How many sign-ups arrived lately (the seat guard asks on every sign-up).
        Index("ix_signup_requests_program_created", "program", "created_at"),
        # Staff search and filters (the trigram indexes on names and emails are PostgreSQL's, made by
        # the migration; SQLite, for one machine, scans).
        Index("ix_signup_requests_area_state_created", "local_area", "state", "created_at"),
        Index("ix_signup_requests_phone", "phone"),
        Index("ix_signup_requests_case_id", "case_id"),
        # The requests the seat guard holds for review (counted on the staff home page).
        Index("ix_signup_requests_state_hold", "state", "hold_reason", "program"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference_code: Mapped[str] = mapped_column(String(9), unique=True)
    program: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), default=RequestState.SUBMITTED)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    #: Where we write to: the address as typed, lower-cased.
    email: Mapped[str] = mapped_column(String(254), index=True)
    #: The mailbox behind `email` (no plus-tag, no dots at Gmail): who the person is. Kept in step
    #: with `email` whenever that is set.
    email_key: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    zip_code: Mapped[str] = mapped_column(String(10))
    preferred_language: Mapped[str] = mapped_column(String(5))
    employment_status: Mapped[str] = mapped_column(String(30))
    covid_related: Mapped[str] = mapped_column(String(10))
    layoff_notice: Mapped[bool]
    #: In capitals (`portal.identifiers.normalize_case_id`), as staff search for it.
    case_id: Mapped[str | None] = mapped_column(String(30))
    agency_staff: Mapped[bool]
    attested_at: Mapped[datetime]
    #: Why the rules decided as they did (a code from portal.eligibility.REASONS).
    decision_reason: Mapped[str | None] = mapped_column(String(40))
    #: Why a request the rules approved waits for a person instead ("seat_guard", "bot_check");
    #: the history row says more.
    hold_reason: Mapped[str | None] = mapped_column(String(20))
    #: Why activation could not finish, in the words of whatever failed.
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    invited_at: Mapped[datetime | None]
    #: Last day to accept the invitation, fixed when it is issued (program dates may change later).
    enroll_by: Mapped[date | None]
    #: True while this request holds one of the program's seats; cleared once, when the seat returns.
    holds_seat: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: What the provider's activity report last said.
    enrolled_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]
    progress_percent: Mapped[int | None]
    completed_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]
    #: Why the license was taken back: "not_accepted" (never joined) or "inactive".
    removal_reason: Mapped[str | None] = mapped_column(String(20))

    #: The program's local workforce area for the ZIP code (`[local_areas]` of the program file); None
    #: when no area of the program covers it.
    local_area: Mapped[str | None] = mapped_column(String(40))
    #: The staff member who entered the request for the customer (on the phone, at a career center):
    #: the customer gave the attestation to them. None: the applicant signed up on the public form.
    entered_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    #: The name as staff search for it: no accents, case or punctuation (" maria jose hernandez nunez").
    #: Kept in step with the names whenever they are set.
    search_name: Mapped[str] = mapped_column(String(210), default="", server_default="")
    #: Which join links still work: raised when staff send a fresh invitation, so the link in an
    #: earlier one (perhaps in a stranger's mailbox, before the address was corrected) stops working.
    join_link_version: Mapped[int] = mapped_column(default=0, server_default="0")

    events: Mapped[list["RequestEvent"]] = relationship(
        back_populates="signup_request", order_by="RequestEvent.id", cascade="all, delete-orphan"
    )
    entered_by: Mapped["StaffUser | None"] = relationship()
    emails: Mapped[list["OutboundEmail"]] = relationship(
        back_populates="signup_request", order_by="OutboundEmail.id", cascade="all, delete-orphan"
    )

    @validates("email")
    def _keep_mailbox_key(self, _key, email: str) -> str:
        self.email_key = mailbox_key(email)
        return email

    @validates("first_name", "last_name")
    def _keep_search_name(self, key, name: str) -> str:
        names = {"first_name": self.first_name or "", "last_name": self.last_name or "", key: name or ""}
        self.search_name = searchable_name(f"{names['first_name']} {names['last_name']}")
        return name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def state_label(self) -> str:
        return RequestState(self.state).label

    def __repr__(self) -> str:
        return f"<SignupRequest {self.reference_code} {self.state}>"


class EventKind(enum.StrEnum):
    #: The request moved from one state to another (or was confirmed in its state, e.g. asked again).
    STATE_CHANGE = "state_change"
    #: Something about the request changed without a change of state: its email, its language, ...
    CHANGE = "change"
    #: A staff member's note, for the next person who opens the request.
    NOTE = "note"


class RequestEvent(db.Model):
    """One entry of a request's timeline: a change of state, another change, or a staff note; who did
    it (applicant, a job or a staff member) and why."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("signup_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=EventKind.STATE_CHANGE,
                                      server_default=EventKind.STATE_CHANGE.value)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    #: "applicant", "eligibility rules", "activation job", "staff", ...
    actor: Mapped[str] = mapped_column(String(40))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    signup_request: Mapped[SignupRequest] = relationship(back_populates="events")
    staff: Mapped["StaffUser | None"] = relationship()


class EmailStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboundEmail(db.Model):
    """The outbox: one row per email the portal means to send.

    The row, not the queue, says whether a message went out, so a job delivered twice sends once.
    """

    __tablename__ = "outbound_emails"
    # The sweep and the sender look emails up by status; the staff's email lists also read them in
    # the order they were made.
    __table_args__ = (Index("ix_outbound_emails_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("signup_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    #: One email per (kind, occasion); a second insert with the same key is refused.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=EmailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    #: The address the last attempt went to (the request's address may have been corrected since).
    to_address: Mapped[str | None] = mapped_column(String(254))
    #: The text part as it was sent, with the join link cut out (staff must not hold a live link),
    #: so staff can read what the applicant was told.
    sent_text: Mapped[str | None] = mapped_column(Text)
    #: The relay never answered after the whole message: it may have arrived. Staff settle it (mark
    #: it sent, or send it again); nothing sends it again on its own.
    outcome_unknown: Mapped[bool] = mapped_column(default=False, server_default=false())

    signup_request: Mapped[SignupRequest] = relationship(back_populates="emails")


class SeatPool(db.Model):
    """How many license seats a program has handed out; the cap itself comes from configuration."""

    __tablename__ = "seat_pools"

    program: Mapped[str] = mapped_column(String(40), primary_key=True)
    seats_taken: Mapped[int] = mapped_column(default=0)


class StaffRole(enum.StrEnum):
    HELPDESK = "helpdesk"
    ADMIN = "admin"


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_users"
    __table_args__ = (UniqueConstraint("email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=StaffRole.HELPDESK)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: Part of every session cookie of this account; a new one (sign-out, disabling, a new
    #: password) ends all of them, on every device.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_urlsafe(32))
    #: The local areas (codes of the program file's `[local_areas]`) a help-desk account works for;
    #: empty: every area. Administrators always see every area.
    areas: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))

    @property
    def is_admin(self) -> bool:
        return self.role == StaffRole.ADMIN

    @property
    def limited_to_areas(self) -> list[str] | None:
        """The areas this account may see and act on, or None for all of them."""
        return None if self.is_admin or not self.areas else list(self.areas)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sign-in to disabled accounts
        return self.is_enabled

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the account and its current session token."""
        return f"{self.id}.{self.session_token}"


class ExportFile(db.Model):
    """A file made for someone outside the portal (the provider, the case-management system).

    Kept in the database so that any web process can offer it for download, and so that making
    the same file again replaces it instead of adding a second one.
    """

    __tablename__ = "export_files"
    __table_args__ = (UniqueConstraint("filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "provider" or "case_report".
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(120))
    period_start: Mapped[date]
    period_end: Mapped[date]
    row_count: Mapped[int]
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEvent(db.Model):
    """One thing a staff member, a job or a command did, kept for good: who, when, which action, to
    which request, the fields before and after, and the reason given.

    Append-only: the app never changes or deletes a row (the ORM refuses, below; on PostgreSQL a
    trigger refuses any UPDATE or DELETE too). The purge of personal data leaves these rows, so they
    hold no personal values (`portal.audit.record_audit` replaces them).
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: "staff" (then `staff_id` says who), or the job or command that acted, e.g. "purge-expired command".
    actor: Mapped[str] = mapped_column(String(60))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    #: What was done, e.g. "personal_data_purged", "email_corrected".
    action: Mapped[str] = mapped_column(String(60), index=True)
    #: The request acted on, if any. No foreign key: the record outlives the request it names.
    request_id: Mapped[int | None] = mapped_column(index=True)
    reference_code: Mapped[str | None] = mapped_column(String(9), index=True)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)

    staff: Mapped["StaffUser | None"] = relationship()


class AuditTrailIsAppendOnly(Exception):
    """Something tried to change or delete a row of `audit_events`."""


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_changing_an_audit_event(_mapper, _connection, target: AuditEvent) -> None:
    raise AuditTrailIsAppendOnly(f"audit event {target.id} cannot be changed or deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes_to_audit_events(state) -> None:
    """`update(AuditEvent)`, `delete(AuditEvent)` and `query(AuditEvent).delete()` skip the events above."""
    table = getattr(state.statement, "table", None)
    if (state.is_update or state.is_delete) and getattr(table, "name", None) == AuditEvent.__tablename__:
        raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")


class PurgedRequestCount(db.Model):
    """How many requests of each kind the purge removed: what reports still need once the personal
    data is gone. No names, addresses, phone numbers, ZIP codes, case ids, reference codes or times:
    days only, in the program's time zone. One row per kind and purge run; reports add them up."""

    __tablename__ = "purged_request_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    program: Mapped[str] = mapped_column(String(40), index=True)
    signed_up_on: Mapped[date]
    #: The state the request had ended in.
    state: Mapped[str] = mapped_column(String(20))
    preferred_language: Mapped[str] = mapped_column(String(5))
    employment_status: Mapped[str] = mapped_column(String(30))
    covid_related: Mapped[str] = mapped_column(String(10))
    layoff_notice: Mapped[bool]
    agency_staff: Mapped[bool]
    decision_reason: Mapped[str | None] = mapped_column(String(40))
    removal_reason: Mapped[str | None] = mapped_column(String(20))
    invited_on: Mapped[date | None]
    #: Invited within the activation promise (ACTIVATION_SLA_HOURS) of signing up.
    invited_within_promise: Mapped[bool | None]
    enrolled_on: Mapped[date | None]
    completed_on: Mapped[date | None]
    removed_on: Mapped[date | None]
    request_count: Mapped[int]
    purged_at: Mapped[datetime] = mapped_column(default=utcnow)
