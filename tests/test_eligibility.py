import pytest

from portal.eligibility import REASONS, Outcome, decide_eligibility
from portal.programs import load_program

NY = load_program("ny").eligibility
MA = load_program("ma").eligibility


@pytest.mark.parametrize(
    ("rules", "status", "notice", "staff", "outcome", "reason"),
    [
        (NY, "laid_off", False, False, Outcome.APPROVED, "out_of_work"),
        (NY, "unemployed", False, False, Outcome.APPROVED, "out_of_work"),  # not because of COVID: still yes
        (NY, "employed", True, False, Outcome.APPROVED, "layoff_notice"),
        (NY, "underemployed", True, False, Outcome.APPROVED, "layoff_notice"),
        (NY, "employed", False, False, Outcome.DENIED, "working_without_notice"),
        (NY, "underemployed", False, False, Outcome.DENIED, "underemployed_without_notice"),
        (NY, "laid_off", False, True, Outcome.DENIED, "agency_staff"),
        (NY, "return_to_work_date", False, False, Outcome.NEEDS_REVIEW, "return_to_work_date"),
        (NY, "something_new", False, False, Outcome.NEEDS_REVIEW, "status_not_covered"),
        (MA, "return_to_work_date", False, False, Outcome.APPROVED, "out_of_work"),
        (MA, "long_term_unemployed", False, False, Outcome.APPROVED, "out_of_work"),  # chronically unemployed
        (NY, "long_term_unemployed", False, False, Outcome.APPROVED, "out_of_work"),
        (MA, "unemployed", False, True, Outcome.DENIED, "agency_staff"),
    ],
)
def test_decide_eligibility(rules, status, notice, staff, outcome, reason):
    decision = decide_eligibility(rules, employment_status=status, layoff_notice=notice, agency_staff=staff)
    assert (decision.outcome, decision.reason) == (outcome, reason)
    assert reason in REASONS


def test_every_program_rule_names_a_status_the_form_offers():
    from portal.public.forms import EMPLOYMENT_CHOICES

    offered = {value for value, _label in EMPLOYMENT_CHOICES}
    for rules in (NY, MA):
        assert rules.eligible | rules.eligible_with_layoff_notice | rules.needs_review <= offered
