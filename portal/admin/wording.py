"""A request as staff read it: where it stands and why, its timeline, and what can be done now.

The database keeps codes ("approved", "out_of_work", "sweep"); staff on the phone need sentences
("The rules approved it: the person said they are out of work"). This module turns one into the
other, so templates only lay the sentences out.
"""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, format_date, gettext
from flask_babel import lazy_gettext as _l

from portal.clock import program_today
from portal.helpdesk import OPEN_STATES
from portal.helpdesk.closing import CLOSABLE_STATES, REENROLABLE_STATES, REMOVABLE_STATES
from portal.helpdesk.decisions import DENIABLE_STATES
from portal.helpdesk.deliveries import FRESH_INVITATION_STATES, is_stuck
from portal.models import EmailStatus, EventKind, OutboundEmail, RequestEvent, RequestState, SignupRequest
from portal.notifications import REMOVAL_REASONS, email_subject
from portal.programs import current_program
from portal.signups import HOLD_REASONS, past_the_promise, waitlist_position

#: What the rules decided, in words for staff (the applicant's own words are in REASONS).
STAFF_REASONS = {
    "out_of_work": _l("The person said they are out of work: the rules approve."),
    "layoff_notice": _l("The person said they are working and have a layoff notice: the rules approve."),
    "agency_staff": _l("The person said they work for the labor department or a career center: the rules deny."),
    "working_without_notice": _l("The person said they are working, without a layoff notice: the rules deny."),
    "underemployed_without_notice": _l(
        "The person said they work fewer hours or for less pay than they need, without a layoff notice: the rules "
        "deny."
    ),
    "return_to_work_date": _l("The person said they have a date to go back to work: the rules ask a person to "
                              "decide."),
    "status_not_covered": _l("The person's answer about their work is not covered by the rules: a person decides."),
    "program_closed": _l("The program had stopped issuing licenses."),
    "returning_to_work": _l("Denied by staff: the person has a date to go back to work."),
    "outside_program_area": _l("Denied by staff: the person does not live or work in the program's state."),
    "duplicate_request": _l("Denied by staff: the person has another request."),
    "not_a_person": _l("Denied by staff: not a real person (a script). No email was sent."),
}

#: Each email by what staff call it.
EMAIL_NAMES = {
    "confirmation": _l("Confirmation of the request"),
    "not_eligible": _l("Not eligible"),
    "waitlisted": _l("On the waitlist"),
    "invitation": _l("Invitation"),
    "reenrolment": _l("Invitation (welcome back)"),
    "reminder_not_accepted": _l("Reminder: invitation not accepted"),
    "reminder_enroll_by": _l("Reminder: join by the deadline"),
    "reminder_inactive": _l("Reminder: no activity"),
    "removal": _l("License removed"),
    "already_signed_up": _l("Already signed up (a second sign-up)"),
    "withdrawn": _l("Request closed at the person's request"),
}

EMAIL_STATUS_NAMES = {
    EmailStatus.PENDING: _l("waiting to be sent"),
    EmailStatus.SENDING: _l("being sent"),
    EmailStatus.SENT: _l("accepted by the mail server"),
    EmailStatus.FAILED: _l("not delivered"),
}

#: Who did something, when it was not a staff member.
ACTORS = {
    "applicant": _l("the applicant"),
    "eligibility rules": _l("the eligibility rules"),
    "activation job": _l("the activation job"),
    "sweep": _l("the sweep"),
    "staff": _l("staff"),
}


def actor_name(event: RequestEvent) -> str:
    if event.staff is not None:
        return event.staff.email
    return str(ACTORS.get(event.actor, event.actor))


def situation(signup: SignupRequest) -> list[str]:
    """Where the request stands, why, what it waits on and what the applicant was told."""
    state = signup.state
    lines = []
    rule = STAFF_REASONS.get(signup.decision_reason)
    if state == RequestState.SUBMITTED:
        lines.append(gettext("Saved, but the eligibility rules have not run yet."))
    elif state == RequestState.NEEDS_REVIEW:
        lines.append(gettext("Waits for a person to approve or deny it."))
        if signup.hold_reason:
            lines.append(str(HOLD_REASONS.get(signup.hold_reason, signup.hold_reason)))
        elif rule:
            lines.append(str(rule))
        lines.append(gettext("The applicant was told that someone will check the request."))
    elif state == RequestState.APPROVED:
        if rule:
            lines.append(str(rule))
        lines.append(gettext("Waits for the activation job, which takes a seat and sends the invitation."))
        if past_the_promise(signup):
            lines.append(gettext("That is taking longer than the %(hours)s hours promised: the worker or Redis may "
                                 "be down. Run the activation now, and tell the technical team.",
                                 hours=_promise_hours()))
    elif state == RequestState.WAITLISTED:
        lines.append(gettext("Approved, but every seat was taken: number %(position)s in line for the next free "
                             "seat. The applicant was told by email.", position=waitlist_position(signup)))
    elif state == RequestState.INVITED:
        lines.append(gettext("Invited on %(day)s and holds a seat. The applicant has not pressed the join button "
                             "yet.", day=_day(signup.invited_at)))
        if signup.enroll_by:
            lines.append(gettext("If they do not join by %(day)s, the license is removed and the seat goes to the "
                                 "next in line.", day=format_date(signup.enroll_by, "long")))
    elif state == RequestState.FAILED:
        lines.append(gettext("The invitation could not be delivered, so the applicant cannot join."))
        if signup.failure_reason:
            lines.append(gettext("The mail server said: %(answer)s", answer=signup.failure_reason))
        lines.append(gettext("Correct the email address (a fresh invitation goes to the new one), or send the "
                             "invitation again if the problem is fixed."))
    elif state == RequestState.DENIED:
        lines.append(gettext("Denied."))
        if rule:
            lines.append(str(rule))
        if signup.decision_reason != "not_a_person":
            lines.append(gettext("The applicant was told why by email, and may sign up again."))
    elif state == RequestState.ENROLLED:
        lines.append(gettext("Joined the training on %(day)s.", day=_day(signup.enrolled_at)))
    elif state == RequestState.ACTIVE:
        lines.append(gettext("Learning: %(percent)s%% done, last active on %(day)s.",
                             percent=signup.progress_percent or 0, day=_day(signup.last_activity_at)))
    elif state == RequestState.COMPLETED:
        lines.append(gettext("Finished the training on %(day)s.", day=_day(signup.completed_at)))
    elif state == RequestState.REMOVED:
        lines.append(gettext("Closed on %(day)s: %(reason)s", day=_day(signup.removed_at),
                             reason=REMOVAL_REASONS.get(signup.removal_reason, signup.removal_reason or "")))
        lines.append(gettext("The person may sign up again, or staff can re-enrol them."))
    return lines


def _promise_hours() -> int:
    return current_app.config["ACTIVATION_SLA_HOURS"]


def _day(moment: datetime | None) -> str:
    return format_date(moment, "long") if moment else "—"


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    #: "state", "change", "note" or "email".
    kind: str
    title: str
    who: str = ""
    detail: str = ""
    email: OutboundEmail | None = None


def timeline(signup: SignupRequest) -> list[TimelineEntry]:
    """Every state change, change, note and email of the request, oldest first."""
    entries = [_event_entry(event) for event in signup.events]
    entries += [_email_entry(signup, email) for email in signup.emails]
    return sorted(entries, key=lambda entry: entry.at)


def _event_entry(event: RequestEvent) -> TimelineEntry:
    if event.kind == EventKind.NOTE:
        return TimelineEntry(event.created_at, "note", gettext("Note"), actor_name(event), event.reason or "")
    if event.kind == EventKind.CHANGE:
        return TimelineEntry(event.created_at, "change", gettext("Changed"), actor_name(event), event.reason or "")
    title = gettext("%(state)s", state=RequestState(event.to_state).label) if event.from_state is None else \
        gettext("%(old)s → %(new)s", old=RequestState(event.from_state).label, new=RequestState(event.to_state).label)
    return TimelineEntry(event.created_at, "state", title, actor_name(event), _event_reason(event))


def _event_reason(event: RequestEvent) -> str:
    reason = event.reason or ""
    code, _, rest = reason.partition(": ")
    if code in STAFF_REASONS:
        return str(STAFF_REASONS[code]) + (f" {rest}" if rest else "")
    return reason


def _email_entry(signup: SignupRequest, email: OutboundEmail) -> TimelineEntry:
    with force_locale(signup.preferred_language):
        subject = email_subject(email.kind)
    status = str(EMAIL_STATUS_NAMES.get(email.status, email.status))
    if email.outcome_unknown or is_stuck(email):
        status = gettext("unknown: the worker stopped or the mail server never answered while sending")
    return TimelineEntry(email.sent_at or email.last_attempt_at or email.created_at, "email",
                         str(EMAIL_NAMES.get(email.kind, email.kind)), detail=f"{subject} — {status}", email=email)


@dataclass(frozen=True)
class Actions:
    """Which actions the request's page offers, for its state."""

    approve: bool
    deny: bool
    activate: bool
    resend_invitation: bool
    correct_email: bool
    withdraw: bool
    remove: bool
    reenrol: bool
    retry_emails: list
    stuck_emails: list


def available_actions(signup: SignupRequest) -> Actions:
    failed_emails = [email for email in signup.emails
                     if email.status == EmailStatus.FAILED and not email.outcome_unknown
                     and email.kind not in ("invitation", "reenrolment")]
    stuck_emails = [email for email in signup.emails if email.outcome_unknown or is_stuck(email)]
    state = signup.state
    return Actions(
        approve=state == RequestState.NEEDS_REVIEW,
        deny=state in DENIABLE_STATES,
        activate=state == RequestState.APPROVED,
        resend_invitation=state in FRESH_INVITATION_STATES and signup.holds_seat,
        correct_email=state in OPEN_STATES,
        withdraw=state in CLOSABLE_STATES,
        remove=state in REMOVABLE_STATES,
        reenrol=state in REENROLABLE_STATES and current_program().issues_licenses_on(program_today()),
        retry_emails=failed_emails if state not in (RequestState.REMOVED, RequestState.DENIED) else [],
        stuck_emails=stuck_emails,
    )
