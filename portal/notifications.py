"""Every email the portal sends is built and sent here, and nowhere else.

Emails go through an outbox: `queue_email` adds a row in the caller's transaction, and
`deliver_email` (run by a job) sends what the row says. The row is claimed with a conditional UPDATE
before the SMTP conversation, so a job that runs twice sends once. A worker killed in the middle
of a conversation leaves the row "sending": we cannot know whether the relay took it, and staff see
it rather than the applicant getting it twice (the sweep marks such rows failed after a while).

An email added to the outbox is handed to RQ when, and only when, its transaction commits (the
session hooks at the bottom), so no caller can forget to enqueue it or enqueue one that was rolled
back.
"""

import enum
import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import queue
from portal.clock import program_today
from portal.eligibility import REASONS
from portal.extensions import db, mail
from portal.mail import Message
from portal.models import EmailStatus, OutboundEmail, RequestState, SignupRequest, utcnow
from portal.programs import current_program

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmailKind:
    subject: str
    template: str


EMAIL_KINDS = {
    "confirmation": EmailKind(_l("We received your request for a free training license"), "email/confirmation"),
    "not_eligible": EmailKind(_l("About your request for a free training license"), "email/not_eligible"),
    "waitlisted": EmailKind(_l("You are on the waitlist for a free training license"), "email/waitlisted"),
    "invitation": EmailKind(_l("Your free training license is ready"), "email/invitation"),
    "reenrolment": EmailKind(_l("Welcome back: your free training license is ready again"), "email/reenrolment"),
    "reminder_not_accepted": EmailKind(_l("Reminder: your free training license is waiting"),
                                       "email/reminder_not_accepted"),
    "reminder_enroll_by": EmailKind(_l("Last days to join: your free training license"),
                                    "email/reminder_enroll_by"),
    "reminder_inactive": EmailKind(_l("We miss you in your courses"), "email/reminder_inactive"),
    "removal": EmailKind(_l("Your free training license has ended"), "email/removal"),
}

#: An invitation that cannot be delivered stalls the request, so staff must see it as failed.
INVITATION_KINDS = {"invitation", "reenrolment"}

#: Why a license was taken back, in plain words for the removal notice.
REMOVAL_REASONS = {
    "not_accepted": _l("You did not accept the invitation by the date it gave."),
    "inactive": _l("There was no activity in your courses for a long time."),
}

#: A row still "sending" after this long was being sent by a worker that died: nobody knows whether
#: the relay took it, so staff decide (never sent twice by us).
SENDING_LEASE = timedelta(minutes=15)


class DeliveryResult(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"  # a temporary failure; try again later
    FAILED = "failed"  # a permanent failure, or retries ran out
    SKIPPED = "skipped"  # already sent, being sent, or failed: nothing to do


def idempotency_key(signup: SignupRequest, kind: str, occasion: str | None = None) -> str:
    return f"{kind}-{signup.reference_code}" + (f"-{occasion}" if occasion else "")


def queue_email(signup: SignupRequest, kind: str, occasion: str | None = None) -> OutboundEmail:
    """Add an email to the outbox in the caller's transaction; it is enqueued when that commits.

    The idempotency key is unique: a second email for the same kind and occasion fails the commit.
    """
    if kind not in EMAIL_KINDS:
        raise ValueError(f"unknown email kind {kind!r}")
    email = OutboundEmail(kind=kind, idempotency_key=idempotency_key(signup, kind, occasion))
    signup.emails.append(email)
    return email


def queue_email_once(signup: SignupRequest, kind: str, occasion: str | None = None) -> OutboundEmail | None:
    """Like `queue_email`, but None (and nothing added) if this email was already queued.

    For schedules that run again and again over the same requests: the key decides, not the run.
    """
    key = idempotency_key(signup, kind, occasion)
    if db.session.scalar(select(OutboundEmail.id).where(OutboundEmail.idempotency_key == key)) is not None:
        return None
    try:
        with db.session.begin_nested():
            email = queue_email(signup, kind, occasion)
    except IntegrityError:  # another process queued it between our check and our insert
        signup.emails.remove(email)
        return None
    return email


def deliver_email(email_id: int, *, max_attempts: int) -> DeliveryResult:
    claimed = db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == email_id, OutboundEmail.status == EmailStatus.PENDING)
        .values(status=EmailStatus.SENDING, attempts=OutboundEmail.attempts + 1, last_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return DeliveryResult.SKIPPED

    email = db.session.get(OutboundEmail, email_id)
    try:
        mail.send(build_message(email))
    except Exception as error:  # classified below; anything unknown is treated as temporary
        permanent, description = classify_smtp_error(error)
        email.last_error = description
        if permanent or email.attempts >= max_attempts:
            email.status = EmailStatus.FAILED
            _mark_request_failed(email, description)
            db.session.commit()
            log.warning("Email %s failed for good: %s", email.idempotency_key, description)
            return DeliveryResult.FAILED
        email.status = EmailStatus.PENDING
        db.session.commit()
        log.info("Email %s will be retried: %s", email.idempotency_key, description)
        return DeliveryResult.RETRY

    email.status = EmailStatus.SENT
    email.sent_at = utcnow()
    email.last_error = None
    db.session.commit()
    return DeliveryResult.SENT


def classify_smtp_error(error: Exception) -> tuple[bool, str]:
    """(permanent?, what the server or the network said). 5xx is permanent; 4xx, refused
    connections and timeouts are temporary."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(error.recipients.values()))
        return code >= 500, f"{code} {_text(message)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500, f"{error.smtp_code} {_text(error.smtp_error)}"
    return False, f"{type(error).__name__}: {error}"


def _text(message: bytes | str) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else message


def _mark_request_failed(email: OutboundEmail, description: str) -> None:
    """An invitation that cannot be delivered stalls the request: staff must see it."""
    from portal.signups import record_state_change  # signups imports this module

    if email.kind not in INVITATION_KINDS:
        return
    signup = email.signup_request
    signup.failure_reason = f"Invitation email could not be delivered: {description}"
    record_state_change(signup, RequestState.FAILED, actor="email job", reason=signup.failure_reason)


def build_message(email: OutboundEmail) -> Message:
    """Render the email's text and HTML templates in the applicant's language."""
    signup = email.signup_request
    kind = EMAIL_KINDS[email.kind]
    with force_locale(signup.preferred_language):
        context = _email_context(signup)
        message = Message(
            subject=str(kind.subject),
            recipients=[signup.email],  # one recipient a message: a partial refusal raises nothing
            body=render_template(f"{kind.template}.txt", **context),
            html=render_template(f"{kind.template}.html", **context),
        )
    message.extra_headers = {"X-Portal-Email": email.idempotency_key}
    return message


def _email_context(signup: SignupRequest) -> dict:
    """What every email template may use. Dates are formatted in the applicant's language."""
    from portal.enrolment import join_token  # enrolment imports this module

    program = current_program()
    language = signup.preferred_language
    enroll_by = signup.enroll_by or program.enroll_by_for(program_today())
    last_seen = signup.last_activity_at or signup.enrolled_at or signup.invited_at
    return {
        "signup": signup,
        "program": program,
        "sla_hours": current_app.config["ACTIVATION_SLA_HOURS"],
        "status_url": public_url(f"/{language}/status"),
        "signup_url": public_url(f"/{language}/signup"),
        "join_url": public_url(f"/{language}/join/{join_token(signup)}"),
        "provider_url": program.provider_join_url,
        "enroll_by": format_date(enroll_by, "long"),
        "complete_by": format_date(program.complete_by, "long"),
        "program_ends": format_date(program.program_ends, "long"),
        "decision_reason": REASONS.get(signup.decision_reason, ""),
        "removal_reason": REMOVAL_REASONS.get(signup.removal_reason, ""),
        "last_activity": format_date(last_seen, "long") if last_seen else "",
        "removal_after_days": program.follow_up.inactivity_removal_days,
    }


def public_url(path: str) -> str:
    """An absolute link for an email; jobs have no request to take the host from."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def fail_stuck_emails(now=None) -> int:
    """Mark failed the emails left "sending" by a worker that died in the SMTP conversation.

    The relay may or may not have taken such an email; sending it again could send it twice, so
    it is shown to staff (and an invitation's request becomes failed) instead.
    """
    cutoff = (now or utcnow()) - SENDING_LEASE
    stuck = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.status == EmailStatus.SENDING, OutboundEmail.last_attempt_at < cutoff)
    ).all()
    for email in stuck:
        email.status = EmailStatus.FAILED
        email.last_error = ("The worker stopped while sending this email; it may or may not have arrived. "
                            "It was not sent again automatically.")
        _mark_request_failed(email, email.last_error)
    db.session.commit()
    return len(stuck)


# --- Enqueue on commit ----------------------------------------------------------------------

@event.listens_for(Session, "after_flush")
def _remember_new_emails(session, _flush_context):
    new_ids = [item.id for item in session.new if isinstance(item, OutboundEmail)]
    if new_ids:
        session.info.setdefault("outbox_to_enqueue", []).extend(new_ids)


@event.listens_for(Session, "after_commit")
def _enqueue_committed_emails(session):
    for email_id in session.info.pop("outbox_to_enqueue", []):
        queue.enqueue_email_delivery(email_id)  # Redis away: logged, and the sweep sends it later


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_emails(session):
    session.info.pop("outbox_to_enqueue", None)
