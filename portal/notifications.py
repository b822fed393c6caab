"""Every email the portal sends is built and sent here, and nowhere else.

Emails go through an outbox: `queue_email` adds a row in the caller's transaction, and
`deliver_email` (run by a job) sends what the row says. The row is claimed with a conditional UPDATE
before the SMTP conversation, so a job that runs twice sends once. A worker killed in the middle
of a conversation leaves the row "sending": we cannot know whether the relay took it, and staff see
it rather than the applicant getting it twice.
"""

import enum
import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

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
    "invitation": EmailKind(_l("Your free training license is ready"), "email/invitation"),
}


class DeliveryResult(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"  # a temporary failure; try again later
    FAILED = "failed"  # a permanent failure, or retries ran out
    SKIPPED = "skipped"  # already sent, being sent, or failed: nothing to do


def queue_email(signup: SignupRequest, kind: str, occasion: str | None = None) -> OutboundEmail:
    """Add an email to the outbox in the caller's transaction; the caller commits, then enqueues."""
    key = f"{kind}-{signup.reference_code}" + (f"-{occasion}" if occasion else "")
    email = OutboundEmail(kind=kind, idempotency_key=key)
    signup.emails.append(email)
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

    if email.kind != "invitation":
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
    program = current_program()
    invited_at = signup.invited_at or utcnow()
    return {
        "signup": signup,
        "program": program,
        "sla_hours": current_app.config["ACTIVATION_SLA_HOURS"],
        "status_url": public_url(f"/{signup.preferred_language}/status"),
        "join_url": program.provider_join_url,
        "enroll_by": format_date(invited_at + timedelta(days=program.enroll_within_days), "long"),
        "program_ends": format_date(program.program_ends, "long"),
    }


def public_url(path: str) -> str:
    """An absolute link for an email; jobs have no request to take the host from."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path
