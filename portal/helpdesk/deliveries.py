"""Emails that did not reach the person: the invitation sent again with a fresh link, a failed email
tried again, and an email whose fate is unknown settled by a person."""

from datetime import timedelta

from flask_babel import gettext
from sqlalchemy import update

from portal.activation import ActivationResult, activate_claimed
from portal.clock import program_today
from portal.extensions import db
from portal.helpdesk import OPEN_STATES, ActionRefused, claim_for_staff, finish
from portal.lifecycle import record_change, record_state_change
from portal.models import EmailStatus, OutboundEmail, RequestState, SignupRequest, StaffUser, utcnow
from portal.outbox import INVITATION_KINDS, queue_email, send_again
from portal.programs import current_program

#: The invitation can be sent again to a person who was invited, or whose invitation failed.
FRESH_INVITATION_STATES = (RequestState.INVITED, RequestState.FAILED)
#: An email still "sending" after this long is stuck: a conversation with a healthy relay takes a
#: second. (The sweep fails it for good only after the longest conversation the SMTP timeouts allow.)
STUCK_AFTER = timedelta(minutes=5)


def resend_invitation(request_id: int, staff: StaffUser, *, seen_version: int) -> str:
    """Send the invitation again with a fresh join link (the link in earlier ones stops working). A
    failed request is invited again; one whose seat was given back goes through activation."""
    signup = claim_for_staff(request_id, allowed_states=FRESH_INVITATION_STATES, seen_version=seen_version)
    before = {"state": signup.state, "join_link_version": signup.join_link_version}
    if not signup.holds_seat:
        record_state_change(signup, RequestState.APPROVED, actor="staff", staff=staff,
                            reason="invitation to be sent again; the request holds no seat")
        result = activate_claimed(signup, actor="staff", staff=staff, occasion=f"staff-{signup.join_link_version + 1}")
        signup.join_link_version += 1
        finish(signup, staff, "invitation_sent_again", before=before,
               after={"state": signup.state, "join_link_version": signup.join_link_version})
        if result == ActivationResult.WAITLISTED:
            return gettext("No seat is free: the request is on the waitlist and the person was told.")
        return gettext("A seat was taken and a new invitation is on its way to %(email)s.", email=signup.email)
    issue_fresh_invitation(signup, staff)
    finish(signup, staff, "invitation_sent_again", before=before,
           after={"state": signup.state, "join_link_version": signup.join_link_version})
    return gettext("A new invitation is on its way to %(email)s. The link in earlier invitations no longer works.",
                   email=signup.email)


def issue_fresh_invitation(signup: SignupRequest, staff: StaffUser) -> None:
    """Queue a new invitation for a claimed request that holds its seat, with a new join link; a
    failed request is invited again, with the full time to accept it (it never had the first one)."""
    signup.join_link_version += 1
    kind = next((email.kind for email in signup.emails if email.kind in INVITATION_KINDS), "invitation")
    queue_email(signup, kind, occasion=f"staff-{signup.join_link_version}")
    if signup.state == RequestState.FAILED:
        signup.invited_at = utcnow()
        signup.enroll_by = current_program().enroll_by_for(program_today())
        signup.failure_reason = None
        record_state_change(signup, RequestState.INVITED, actor="staff", staff=staff,
                            reason="invitation sent again with a new link")
    else:
        record_change(signup, actor="staff", staff=staff,
                      reason="invitation sent again with a new link; earlier links no longer work")


def retry_email(email_id: int, staff: StaffUser, *, seen_version: int) -> str:
    """Try a failed email again, now (after the address was corrected, or a relay problem fixed).
    Invitations are sent again with a fresh link instead (`resend_invitation`)."""
    email = _email(email_id)
    if email.kind in INVITATION_KINDS:
        raise ActionRefused(gettext("Send the invitation again from the request instead: it gets a fresh link."))
    signup = claim_for_staff(email.request_id, allowed_states=OPEN_STATES, seen_version=seen_version)
    if not _still(email, EmailStatus.FAILED) or email.outcome_unknown:
        db.session.rollback()
        raise _email_changed()
    before = {"email_status": email.status, "last_error": email.last_error}
    send_again(email)
    record_change(signup, actor="staff", staff=staff, reason=f"{email.kind} email tried again")
    finish(signup, staff, "email_retried", before=before, after={"email_status": EmailStatus.PENDING})
    return gettext("The email is being sent again to %(email)s.", email=signup.email)


class Settlement:
    SENT = "sent"
    AGAIN = "again"


def settle_email(email_id: int, staff: StaffUser, *, seen_version: int, settlement: str, note: str = "") -> str:
    """Decide about an email whose fate nobody knows (the worker stopped mid-send, or the relay never
    answered after the message): the person has it (mark it sent), or not (send it again, knowing
    they may get it twice). A failed invitation's request counts as invited again either way."""
    if settlement not in (Settlement.SENT, Settlement.AGAIN):
        raise ActionRefused(gettext("Choose one of the answers shown."))
    email = _email(email_id)
    if not is_stuck(email):
        raise _email_changed()
    signup = claim_for_staff(email.request_id, allowed_states=list(RequestState), seen_version=seen_version)
    if not _still(email, email.status, last_attempt_at=email.last_attempt_at):
        db.session.rollback()
        raise _email_changed()
    before = {"email_status": email.status, "outcome_unknown": email.outcome_unknown}
    if settlement == Settlement.SENT:
        email.status, email.sent_at, email.outcome_unknown = EmailStatus.SENT, email.last_attempt_at, False
        what = f"{email.kind} email marked as sent by staff (the person has it)"
    else:
        send_again(email)
        what = f"{email.kind} email sent again by staff (it may have arrived before)"
    if email.kind in INVITATION_KINDS and signup.state == RequestState.FAILED:
        signup.failure_reason = None
        record_state_change(signup, RequestState.INVITED, actor="staff", staff=staff, reason=what)
    else:
        record_change(signup, actor="staff", staff=staff, reason=what + (f": {note}" if note else ""))
    finish(signup, staff, "email_settled", before=before,
           after={"email_status": email.status, "settlement": settlement}, reason=note)
    if settlement == Settlement.SENT:
        return gettext("Marked as sent. Nothing was sent again.")
    return gettext("The email is being sent again to %(email)s.", email=signup.email)


def is_stuck(email: OutboundEmail, now=None) -> bool:
    """Nobody knows whether the relay took this email: staff must settle it."""
    if email.status == EmailStatus.FAILED:
        return email.outcome_unknown
    return (email.status == EmailStatus.SENDING and email.last_attempt_at is not None
            and email.last_attempt_at < (now or utcnow()) - STUCK_AFTER)


def _email(email_id: int) -> OutboundEmail:
    email = db.session.get(OutboundEmail, email_id, populate_existing=True)
    if email is None:
        raise ActionRefused(gettext("There is no such email."))
    return email


def _still(email: OutboundEmail, status: str, **columns) -> bool:
    """Lock the email row for this transaction if it is still as we read it."""
    conditions = [OutboundEmail.id == email.id, OutboundEmail.status == status]
    conditions += [getattr(OutboundEmail, name) == value for name, value in columns.items()]
    return bool(db.session.execute(
        update(OutboundEmail).where(*conditions).values(status=status)
        .execution_options(synchronize_session=False)).rowcount)


def _email_changed() -> ActionRefused:
    return ActionRefused(gettext("The email changed after you opened the page (it was sent, or someone acted on "
                                 "it). Nothing was changed: look at it again."))
