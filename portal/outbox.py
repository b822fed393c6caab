"""The outbox: one row per email the portal means to send, and what became of it.

`queue_email` adds a row in the caller's transaction, so an email is part of the same commit as
the state change it tells about. The row is handed to RQ when, and only when, that transaction
commits (the session hooks at the bottom), so no caller can forget to enqueue it or enqueue one
that was rolled back. Before the SMTP conversation the sender claims the row (pending → sending)
with a conditional UPDATE, so a job that runs twice sends once. A worker killed in the middle of
a conversation leaves the row "sending": nobody knows whether the relay took it, so staff see it
rather than the applicant getting it twice.

An approved sign-up's emails are the exception: its activation job sends them itself, right after
it activates the request (`held_from_queue`), one job where there would be three.

How a message looks and how it is sent is `portal.notifications`' business, not this module's.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import queue
from portal.extensions import db
from portal.lifecycle import record_state_change
from portal.mail import longest_conversation_seconds
from portal.models import EmailStatus, OutboundEmail, RequestState, SignupRequest, utcnow

#: Every kind of email the portal sends (`portal.notifications.EMAIL_KINDS` says how each looks).
EMAIL_KIND_NAMES = frozenset({
    "confirmation", "not_eligible", "waitlisted", "invitation", "reenrolment", "reminder_not_accepted",
    "reminder_enroll_by", "reminder_inactive", "removal", "already_signed_up", "withdrawn",
})
#: An invitation that cannot be delivered stalls the request, so staff must see it as failed.
INVITATION_KINDS = frozenset({"invitation", "reenrolment"})

#: Beyond the longest SMTP conversation, how long a row may stay "sending" before we take it that the
#: worker sending it died.
SENDING_GRACE = timedelta(minutes=5)


def sending_lease() -> timedelta:
    """A row still "sending" after this long was being sent by a worker that died: nobody knows whether
    the relay took it, so staff decide (never sent twice by us). Longer than any conversation can
    last with the SMTP timeouts set, so a slow relay is never mistaken for a dead worker."""
    return timedelta(seconds=longest_conversation_seconds(current_app.config)) + SENDING_GRACE


def idempotency_key(signup: SignupRequest, kind: str, occasion: str | None = None) -> str:
    return f"{kind}-{signup.reference_code}" + (f"-{occasion}" if occasion else "")


def queue_email(signup: SignupRequest, kind: str, occasion: str | None = None) -> OutboundEmail:
    """Add an email to the outbox in the caller's transaction; it is enqueued when that commits.

    The idempotency key is unique: a second email for the same kind and occasion fails the commit.
    """
    if kind not in EMAIL_KIND_NAMES:
        raise ValueError(f"unknown email kind {kind!r}")
    email = OutboundEmail(signup_request=signup, kind=kind, idempotency_key=idempotency_key(signup, kind, occasion))
    db.session.add(email)  # not `signup.emails.append`, which would read the request's earlier emails first
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
        if email in signup.emails:  # so the next flush does not add it again
            signup.emails.remove(email)
        return None
    return email


def claim_for_sending(email_id: int) -> bool:
    """Mark a pending email as being sent, and commit; False if it is not pending (sent, being
    sent by another worker, or failed)."""
    claimed = db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == email_id, OutboundEmail.status == EmailStatus.PENDING)
        .values(status=EmailStatus.SENDING, attempts=OutboundEmail.attempts + 1, last_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(claimed)


def send_again(email: OutboundEmail) -> None:
    """Put a failed or stuck email back in the outbox, in the caller's transaction; it is enqueued
    when that commits (a staff member decided it should go, knowing what the page told them)."""
    email.status = EmailStatus.PENDING
    email.outcome_unknown = False
    _enqueue_on_commit(db.session, [email.id])


def record_sent(email: OutboundEmail, *, text: str | None = None) -> None:
    """Sent; `text` is the text part as staff may read it (the address it went to is already set)."""
    email.status = EmailStatus.SENT
    email.sent_at = utcnow()
    email.last_error = None
    email.outcome_unknown = False
    email.sent_text = text
    db.session.commit()


def release_for_retry(email: OutboundEmail, description: str) -> None:
    """A temporary failure: back to pending, to be tried again later."""
    email.status = EmailStatus.PENDING
    email.last_error = description
    db.session.commit()


def record_failure(email: OutboundEmail, description: str, *, outcome_unknown: bool = False) -> None:
    """Refused for good, or out of tries: staff see it (and an invitation's request fails).
    `outcome_unknown`: the relay never answered after the whole message; it may have arrived."""
    email.status = EmailStatus.FAILED
    email.last_error = description
    email.outcome_unknown = outcome_unknown
    _fail_request_of_invitation(email, description)
    db.session.commit()


def fail_stuck_emails(now=None) -> int:
    """Mark failed the emails left "sending" by a worker that died in the SMTP conversation.

    The relay may or may not have taken such an email; sending it again could send it twice, so
    it is shown to staff (and an invitation's request becomes failed) instead.
    """
    cutoff = (now or utcnow()) - sending_lease()
    stuck = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.status == EmailStatus.SENDING, OutboundEmail.last_attempt_at < cutoff)
    ).all()
    for email in stuck:
        email.status = EmailStatus.FAILED
        email.outcome_unknown = True
        email.last_error = ("The worker stopped while sending this email; it may or may not have arrived. "
                            "It was not sent again automatically.")
        _fail_request_of_invitation(email, email.last_error)
    db.session.commit()
    return len(stuck)


def _fail_request_of_invitation(email: OutboundEmail, description: str) -> None:
    """An invitation that cannot be delivered stalls the request: staff must see it."""
    if email.kind not in INVITATION_KINDS:
        return
    signup = email.signup_request
    signup.failure_reason = f"Invitation email could not be delivered: {description}"
    record_state_change(signup, RequestState.FAILED, actor="email job", reason=signup.failure_reason)


# --- Enqueue on commit ----------------------------------------------------------------------

@contextmanager
def held_from_queue() -> Iterator[list[int]]:
    """Emails committed inside are not enqueued one job each: their ids are collected in the list
    yielded, for the activation job to send (`jobs.activation`). A worker that dies first leaves them
    pending and the sweep enqueues them, so nothing is lost; the claim before sending keeps anything
    from going twice."""
    session = db.session()
    held = session.info["outbox_held"] = []
    try:
        yield held
    finally:
        session.info.pop("outbox_held", None)


def _enqueue_on_commit(session, email_ids: list[int]) -> None:
    session.info.setdefault("outbox_to_enqueue", []).extend(email_ids)


@event.listens_for(Session, "after_flush")
def _remember_new_emails(session, _flush_context):
    new_ids = [item.id for item in session.new if isinstance(item, OutboundEmail)]
    if new_ids:
        _enqueue_on_commit(session, new_ids)


@event.listens_for(Session, "after_commit")
def _enqueue_committed_emails(session):
    committed = session.info.pop("outbox_to_enqueue", [])
    held = session.info.get("outbox_held")
    if held is not None:
        held.extend(committed)
        return
    for email_id in committed:
        queue.enqueue_email_delivery(email_id)  # Redis away: logged, and the sweep sends it later


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_emails(session):
    session.info.pop("outbox_to_enqueue", None)
