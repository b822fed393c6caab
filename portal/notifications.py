"""Every email the portal sends is built and sent here, and nowhere else.

Emails wait in the outbox (`portal.outbox`) until a job calls `deliver_email`, which claims the
row, renders the message in the applicant's language from a pair of templates (`.txt` and
`.html`), talks to the relay, and records what the relay answered.
"""

import enum
import logging
import re
import smtplib
from dataclasses import dataclass
from email.utils import parseaddr

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import outbox
from portal.clock import program_today
from portal.eligibility import REASONS
from portal.extensions import db, mail
from portal.links import join_token, public_url
from portal.mail import DeliveryOutcomeUnknown, Message
from portal.models import EmailStatus, OutboundEmail, SignupRequest
from portal.programs import current_program

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmailKind:
    #: At most 60 characters once the provider's name is in (phones cut longer ones off); a test checks.
    subject: str
    template: str


SUBJECT_MAX_LENGTH = 60

EMAIL_KINDS = {
    "confirmation": EmailKind(_l("We got your request for free online courses"), "email/confirmation"),
    "not_eligible": EmailKind(_l("About your request for free online courses"), "email/not_eligible"),
    "waitlisted": EmailKind(_l("You are on the waiting list for free courses"), "email/waitlisted"),
    "invitation": EmailKind(_l("Your free access to %(provider)s is ready"), "email/invitation"),
    "reenrolment": EmailKind(_l("Welcome back: your free access to %(provider)s is ready"), "email/reenrolment"),
    "reminder_not_accepted": EmailKind(_l("Reminder: create your %(provider)s account"),
                                       "email/reminder_not_accepted"),
    "reminder_enroll_by": EmailKind(_l("Last days to create your %(provider)s account"),
                                    "email/reminder_enroll_by"),
    "reminder_inactive": EmailKind(_l("Your %(provider)s courses are waiting for you"), "email/reminder_inactive"),
    "removal": EmailKind(_l("Your free access to %(provider)s has ended"), "email/removal"),
    # Staff closed the request because the person asked them to.
    "withdrawn": EmailKind(_l("We closed your request, as you asked"), "email/withdrawn"),
    # Someone signed up again with the address of an open request: its owner hears, not the form.
    "already_signed_up": EmailKind(_l("You already have a request for free courses"),
                                   "email/already_signed_up"),
}

#: Why free access was taken back, in plain words for the removal notice.
REMOVAL_REASONS = {
    "not_accepted": _l("You did not create your account by the date in your invitation."),
    "inactive": _l("You did not use your courses for a long time."),
    "staff": _l("Our staff ended it. If you think this is a mistake, contact us."),
}

assert EMAIL_KINDS.keys() == outbox.EMAIL_KIND_NAMES, "every kind the outbox accepts has templates here"


class DeliveryResult(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"  # a temporary failure; try again later
    FAILED = "failed"  # a permanent failure, or retries ran out
    SKIPPED = "skipped"  # already sent, being sent, or failed: nothing to do


def deliver_email(email_id: int, *, max_attempts: int) -> DeliveryResult:
    """Send one outbox email if it is still pending; what happened."""
    if not outbox.claim_for_sending(email_id):
        return DeliveryResult.SKIPPED
    email = db.session.get(OutboundEmail, email_id, options=[joinedload(OutboundEmail.signup_request)])
    message = None
    try:
        message = build_message(email)
        email.to_address = message.recipients[0]
        mail.send(message)
    except Exception as error:  # classified below; anything unknown is treated as temporary
        permanent, description = classify_smtp_error(error)
        if permanent or email.attempts >= max_attempts:
            outbox.record_failure(email, description, outcome_unknown=isinstance(error, DeliveryOutcomeUnknown))
            log.warning("Email %s failed for good: %s", email.idempotency_key, description)
            return DeliveryResult.FAILED
        outbox.release_for_retry(email, description)
        log.info("Email %s will be retried: %s", email.idempotency_key, description)
        return DeliveryResult.RETRY
    outbox.record_sent(email, text=text_as_staff_see_it(message.body))
    return DeliveryResult.SENT


def confirmation_left_to_activation(request_id: int) -> int | None:
    """The confirmation an approved sign-up leaves to its activation job (`portal.signups`), if it
    was never tried; whoever activated the request, the job sends it."""
    return db.session.scalar(
        select(OutboundEmail.id).where(OutboundEmail.request_id == request_id, OutboundEmail.kind == "confirmation",
                                       OutboundEmail.status == EmailStatus.PENDING, OutboundEmail.attempts == 0)
    )


#: A join link in an email: a live credential, which staff reading the email as sent need not hold.
_JOIN_LINK = re.compile(r"https?://\S+/join/[A-Za-z0-9_.\-]+")
JOIN_LINK_CUT = "[join link]"


def text_as_staff_see_it(body: str) -> str:
    """The text part of a sent email as kept for staff: everything the person read, but the join link."""
    return _JOIN_LINK.sub(JOIN_LINK_CUT, body)


def classify_smtp_error(error: Exception) -> tuple[bool, str]:
    """(final?, what the server or the network said). 5xx is final; 4xx, refused connections and
    timeouts are temporary, except after the whole message was sent: then the relay may have it, and
    sending it again could deliver it twice, so that is final too (staff see it and decide)."""
    if isinstance(error, DeliveryOutcomeUnknown):
        return True, (f"The mail server did not answer after the whole message was sent ({error}); it may have "
                      "arrived. It was not sent again automatically.")
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(error.recipients.values()))
        return code >= 500, f"{code} {_text(message)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500, f"{error.smtp_code} {_text(error.smtp_error)}"
    return False, f"{type(error).__name__}: {error}"


def _text(message: bytes | str) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else message


def build_message(email: OutboundEmail) -> Message:
    """Render the email's text and HTML templates in the applicant's language."""
    signup = email.signup_request
    kind = EMAIL_KINDS[email.kind]
    with force_locale(signup.preferred_language):
        context = _email_context(signup)
        message = Message(
            subject=email_subject(email.kind),
            sender=sender(signup.preferred_language),
            recipients=[signup.email],  # one recipient a message: a partial refusal raises nothing
            body=render_template(f"{kind.template}.txt", **context),
            html=render_template(f"{kind.template}.html", **context),
        )
    message.extra_headers = {"X-Portal-Email": email.idempotency_key}
    return message


def email_subject(kind: str) -> str:
    """The subject of an email of this kind, in the current locale."""
    return str(EMAIL_KINDS[kind].subject) % {"provider": current_program().provider_name}


def sender(language: str) -> tuple[str, str]:
    """The From of an email in `language`: the program's sender name in that language, at the
    address of MAIL_DEFAULT_SENDER."""
    _name, address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    return current_program().names_in(language).sender, address


def _email_context(signup: SignupRequest) -> dict:
    """What every email template may use. Dates are formatted in the applicant's language."""
    program = current_program()
    language = signup.preferred_language
    enroll_by = signup.enroll_by or program.enroll_by_for(program_today())
    last_seen = signup.last_activity_at or signup.enrolled_at or signup.invited_at
    return {
        "signup": signup,
        "program": program,
        "names": program.names_in(language),
        "provider": program.provider_name,
        "sla_hours": current_app.config["ACTIVATION_SLA_HOURS"],
        "status_url": public_url(f"/{language}/status"),
        "signup_url": public_url(f"/{language}/signup"),
        "join_url": public_url(f"/{language}/join/{join_token(signup.reference_code, signup.join_link_version)}"),
        "provider_url": program.provider_join_url,
        "enroll_by": format_date(enroll_by, "long"),
        "complete_by": format_date(program.complete_by, "long"),
        "program_ends": format_date(program.program_ends, "long"),
        "decision_reason": REASONS.get(signup.decision_reason, ""),
        "removal_reason": REMOVAL_REASONS.get(signup.removal_reason, ""),
        "last_activity": format_date(last_seen, "long") if last_seen else "",
        "removal_after_days": program.follow_up.inactivity_removal_days,
    }
