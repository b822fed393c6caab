"""Who qualifies, decided from the applicant's own answers (self-attestation) and the program's rules."""

import enum
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.programs import EligibilityRules


class Outcome(enum.StrEnum):
    APPROVED = "approved"
    DENIED = "denied"
    NEEDS_REVIEW = "needs_review"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str


#: Plain-words explanations, shown to the applicant and to staff.
REASONS = {
    "out_of_work": _l("You told us you are out of work."),
    "layoff_notice": _l("You told us you have a layoff notice."),
    "agency_staff": _l(
        "Staff of the state labor department and of career centers cannot get free courses through this program."
    ),
    "working_without_notice": _l(
        "Right now the free courses are for people who are out of work. People who are working can get "
        "them only if they have a layoff notice."
    ),
    "underemployed_without_notice": _l(
        "Right now the free courses are for people who are out of work. People who work fewer hours or "
        "earn less than they need can get them only if they have a layoff notice."
    ),
    "return_to_work_date": _l(
        "You have a date to go back to work. A staff member will look at your request."
    ),
    "status_not_covered": _l("A staff member will look at your request."),
    "program_closed": _l("The program has stopped taking new sign-ups."),
    # Reasons staff give when they deny a request after review (the program file lists which).
    "returning_to_work": _l(
        "You told us you have a date to go back to work. Right now the free courses are for people who are "
        "out of work."
    ),
    "outside_program_area": _l("The free courses of this program are for people who live or lost their job in "
                               "this state."),
    "duplicate_request": _l("You already have another request for free courses. We will use that one."),
    "not_a_person": _l("The request did not come from a person."),
}

#: Denials after which the applicant gets no email: the request came from a script, most likely with
#: someone else's address, and that person never asked for anything.
SILENT_DENIALS = frozenset({"not_a_person"})


_DENIAL_WITHOUT_NOTICE = {
    "employed": "working_without_notice",
    "underemployed": "underemployed_without_notice",
}


def decide_eligibility(
    rules: EligibilityRules, *, employment_status: str, layoff_notice: bool, agency_staff: bool
) -> Decision:
    if agency_staff and rules.agency_staff_excluded:
        return Decision(Outcome.DENIED, "agency_staff")
    if employment_status in rules.eligible:
        return Decision(Outcome.APPROVED, "out_of_work")
    if employment_status in rules.eligible_with_layoff_notice:
        if layoff_notice:
            return Decision(Outcome.APPROVED, "layoff_notice")
        return Decision(Outcome.DENIED, _DENIAL_WITHOUT_NOTICE.get(employment_status, "working_without_notice"))
    if employment_status in rules.needs_review:
        reason = employment_status if employment_status in REASONS else "status_not_covered"
        return Decision(Outcome.NEEDS_REVIEW, reason)
    # A status the program's rules do not mention: a person decides, not the software.
    return Decision(Outcome.NEEDS_REVIEW, "status_not_covered")
