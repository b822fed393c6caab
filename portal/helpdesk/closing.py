"""Ending and restarting a person's part in the program: withdrawn at their request, the license
taken back by staff, and a removed person re-enrolled. Seats move as the pipeline moves them: a seat
given back goes to the oldest waiting request, a re-enrolment takes one (or waits for one)."""

from flask_babel import gettext

from portal.activation import LICENSED_STATES, ActivationResult, activate_claimed, close_request
from portal.extensions import db
from portal.helpdesk import OPEN_STATES, ActionRefused, claim_for_staff, finish
from portal.lifecycle import record_change, record_state_change
from portal.models import RequestState, StaffUser, utcnow
from portal.signups import new_request_like, open_request_for_email

#: Withdrawn at the person's request: any request not yet closed.
CLOSABLE_STATES = OPEN_STATES
#: A license can be taken back while the person holds one.
REMOVABLE_STATES = LICENSED_STATES
#: A closed license can start again.
REENROLABLE_STATES = (RequestState.REMOVED,)


def withdraw_request(request_id: int, staff: StaffUser, *, seen_version: int, note: str = "") -> str:
    """The person asked to stop (they found work, they signed up by mistake): closed, told so, and a
    seat they held goes to the next in line. They may sign up again."""
    signup = claim_for_staff(request_id, allowed_states=CLOSABLE_STATES, seen_version=seen_version)
    before = {"state": signup.state, "holds_seat": signup.holds_seat}
    close_request(signup, reason="withdrawn", actor="staff", staff=staff, email_kind="withdrawn",
                  note="withdrawn at the person's request" + (f": {note}" if note else ""))
    finish(signup, staff, "request_withdrawn", before=before, after={"state": signup.state, "holds_seat": False},
           reason=note)
    return gettext("Withdrawn: the person was told at %(email)s.", email=signup.email)


def remove_license_by_staff(request_id: int, staff: StaffUser, *, seen_version: int, note: str) -> str:
    """Take a license back for a reason a person decided (the reason is required): the person gets
    the removal notice, the seat goes to the next in line."""
    if not note.strip():
        raise ActionRefused(gettext("Say why the license is taken back."))
    signup = claim_for_staff(request_id, allowed_states=REMOVABLE_STATES, seen_version=seen_version)
    before = {"state": signup.state, "holds_seat": signup.holds_seat}
    close_request(signup, reason="staff", actor="staff", staff=staff, note=f"license taken back by staff: {note}")
    finish(signup, staff, "license_removed", before=before, after={"state": signup.state, "holds_seat": False},
           reason=note)
    return gettext("License taken back: the person was told, and the seat went back to the program.")


def reenrol_request(request_id: int, staff: StaffUser, *, seen_version: int, note: str = "") -> tuple[str, str]:
    """Give a removed person a new start, as the pipeline does when they sign up again: a new request
    with the same answers, activated now (a seat and a "welcome back" invitation, or the waitlist).
    Returns the message and the new request's reference code."""
    old = claim_for_staff(request_id, allowed_states=REENROLABLE_STATES, seen_version=seen_version)
    other = open_request_for_email(old.program, old.email)
    if other is not None:
        db.session.rollback()
        raise ActionRefused(gettext("This person already has an open request, %(code)s. Nothing was changed.",
                                    code=other.reference_code))
    new = new_request_like(old, entered_by=staff)
    record_state_change(new, RequestState.APPROVED, actor="staff", staff=staff,
                        reason=f"re-enrolled by staff from {old.reference_code}" + (f": {note}" if note else ""))
    db.session.flush()
    result = activate_claimed(new, actor="staff", staff=staff)
    record_change(old, actor="staff", staff=staff, reason=f"re-enrolled as {new.reference_code}")
    old.updated_at = utcnow()
    finish(new, staff, "request_reenrolled", before={"from_request": old.reference_code},
           after={"state": new.state, "holds_seat": new.holds_seat}, reason=note)
    if result == ActivationResult.INVITED:
        message = gettext("Re-enrolled as %(code)s: a seat was taken and a “welcome back” invitation is on its way.",
                          code=new.reference_code)
    elif result == ActivationResult.WAITLISTED:
        message = gettext("Re-enrolled as %(code)s, on the waitlist: no seat is free.", code=new.reference_code)
    else:
        message = gettext("The program has stopped issuing licenses: %(code)s was closed.", code=new.reference_code)
    return message, new.reference_code

