"""Deciding requests: approve or deny one that waits for review, activate one stuck as approved."""

from flask_babel import gettext

from portal.activation import ActivationResult, activate_claimed, return_seat
from portal.eligibility import SILENT_DENIALS
from portal.helpdesk import ActionRefused, claim_for_staff, finish
from portal.lifecycle import record_state_change
from portal.models import RequestState, SignupRequest, StaffUser
from portal.outbox import queue_email
from portal.programs import current_program

#: Requests a person may still deny: before the invitation, or after it failed.
DENIABLE_STATES = (RequestState.NEEDS_REVIEW, RequestState.APPROVED, RequestState.WAITLISTED, RequestState.FAILED)


def approve_request(request_id: int, staff: StaffUser, *, seen_version: int, note: str = "") -> str:
    """A person checked a request held for review and it qualifies: it goes through the same seat
    logic as the activation job, in this transaction (invited, or waitlisted when no seat is free)."""
    signup = claim_for_staff(request_id, allowed_states=[RequestState.NEEDS_REVIEW], seen_version=seen_version)
    record_state_change(signup, RequestState.APPROVED, actor="staff", staff=staff,
                        reason=note or "approved after review")
    result = activate_claimed(signup, actor="staff", staff=staff)
    finish(signup, staff, "request_approved", before={"state": RequestState.NEEDS_REVIEW},
           after={"state": signup.state, "holds_seat": signup.holds_seat}, reason=note)
    return _activation_message(result, signup)


def activate_now(request_id: int, staff: StaffUser, *, seen_version: int) -> str:
    """Run the activation of an approved request that is still waiting for it (the job did not run:
    a worker or Redis was down), here and now."""
    signup = claim_for_staff(request_id, allowed_states=[RequestState.APPROVED], seen_version=seen_version)
    result = activate_claimed(signup, actor="staff", staff=staff)
    finish(signup, staff, "activation_run", before={"state": RequestState.APPROVED},
           after={"state": signup.state, "holds_seat": signup.holds_seat})
    return _activation_message(result, signup)


def _activation_message(result: ActivationResult, signup: SignupRequest) -> str:
    if result == ActivationResult.INVITED:
        return gettext("Approved and invited: a seat was taken and the invitation is on its way to %(email)s.",
                       email=signup.email)
    if result == ActivationResult.WAITLISTED:
        return gettext("Approved, but no seat is free: the request is on the waitlist and the person was told.")
    return gettext("The program has stopped issuing licenses, so the request was closed and the person was told.")


def deny_request(request_id: int, staff: StaffUser, *, seen_version: int, reason: str, note: str = "") -> str:
    """A person decides a request does not qualify: the applicant is told why (unless it came from a
    script, `SILENT_DENIALS`), and a seat it held goes to the next in line."""
    if reason not in current_program().staff_denial_reasons:
        raise ActionRefused(gettext("Choose one of the reasons shown."))
    signup = claim_for_staff(request_id, allowed_states=DENIABLE_STATES, seen_version=seen_version)
    before = {"state": signup.state, "decision_reason": signup.decision_reason, "holds_seat": signup.holds_seat}
    deny(signup, reason=reason, actor="staff", staff=staff, note=note)
    finish(signup, staff, "request_denied", before=before,
           after={"state": signup.state, "decision_reason": reason, "holds_seat": False}, reason=note)
    if reason in SILENT_DENIALS:
        return gettext("Denied. No email was sent.")
    return gettext("Denied: the person was told why at %(email)s.", email=signup.email)


def deny(signup: SignupRequest, *, reason: str, actor: str, staff: StaffUser | None = None, note: str = "") -> None:
    """Deny a claimed request in the caller's transaction (see `deny_request`)."""
    signup.decision_reason = reason
    record_state_change(signup, RequestState.DENIED, actor=actor, reason=f"{reason}: {note}" if note else reason,
                        staff=staff)
    if reason not in SILENT_DENIALS:
        queue_email(signup, "not_eligible")
    return_seat(signup, actor=actor)

