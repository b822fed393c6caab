import pytest

from portal.identifiers import REFERENCE_ALPHABET, new_reference_code, normalize_reference_code
from portal.models import EmailStatus, RequestState, SignupRequest
from portal.signups import DuplicateSignup, create_signup, find_request
from tests.factories import make_signup, signup_answers


def test_reference_codes_are_short_and_unambiguous():
    codes = {new_reference_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == 9 and code[4] == "-"
        assert set(code.replace("-", "")) <= set(REFERENCE_ALPHABET)
        assert not set(code) & set("ILOU")


@pytest.mark.parametrize(("typed", "stored"), [("k7mq 4x2p", "K7MQ-4X2P"), ("K7MQ-4X2P", "K7MQ-4X2P"),
                                                ("o1lI-abcd", "0111-ABCD")])
def test_reference_codes_read_out_loud_still_match(typed, stored):
    assert normalize_reference_code(typed) == stored


def test_eligible_signup_is_saved_approved_with_its_history_and_a_confirmation(app_context):
    signup = make_signup()
    assert signup.state == RequestState.APPROVED
    assert [(event.from_state, event.to_state, event.actor) for event in signup.events] == [
        (None, "submitted", "applicant"),
        ("submitted", "approved", "eligibility rules"),
    ]
    assert [(email.kind, email.status) for email in signup.emails] == [("confirmation", EmailStatus.PENDING)]


def test_ineligible_signup_is_kept_as_denied_with_the_reason_and_told_so_by_email(app_context):
    signup = make_signup(employment_status="employed", layoff_notice="no")
    assert signup.state == RequestState.DENIED
    assert signup.decision_reason == "working_without_notice"
    assert [(email.kind, email.status) for email in signup.emails] == [("not_eligible", EmailStatus.PENDING)]
    assert not {"confirmation", "invitation"} & {email.kind for email in signup.emails}


def test_one_open_request_per_email_address(app_context):
    make_signup(email="Maria@Example.com ")
    with pytest.raises(DuplicateSignup):
        create_signup(signup_answers(email="maria@example.com"))
    assert SignupRequest.query.count() == 1


def test_a_denied_person_may_sign_up_again(app_context):
    make_signup(employment_status="employed")
    again = make_signup(employment_status="employed", layoff_notice="yes")
    assert again.state == RequestState.APPROVED


def test_the_database_refuses_a_second_open_request_even_past_the_service(app_context):
    """Two web processes that both passed the check: the partial unique index stops the second."""
    from sqlalchemy.exc import IntegrityError

    from portal.extensions import db

    first = make_signup()
    twin = SignupRequest(**{column.name: getattr(first, column.name) for column in SignupRequest.__table__.columns
                            if column.name not in ("id", "reference_code")}, reference_code=new_reference_code())
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_find_request_needs_both_code_and_email(app_context):
    signup = make_signup()
    assert find_request(signup.reference_code.lower().replace("-", " "), "MARIA.GONZALEZ@example.com") == signup
    assert find_request(signup.reference_code, "someone.else@example.com") is None
