"""Property: whatever is posted to the sign-up form, in either language, the answer is never a 500, and
whatever the portal accepts is clean.

Hypothesis generates whole forms: a valid form with any of its fields missing, empty, any Unicode
text, text with control characters, huge, a wrong choice, or sent twice, plus fields the form does
not have. They
are posted through the Flask test client with a real CSRF token (one per run, as a browser keeps
its session), to a real database: 10,000 forms on SQLite, 1,000 on PostgreSQL (slower per post).
"""

import re
import time
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.extensions import db
from portal.forms import has_control_characters
from portal.models import SignupRequest
from tests.conftest import hidden_fields
from tests.factories import FORM_DATA

FORMS_PER_BACKEND = {"sqlite": 10_000, "postgresql": 1_000}

CHOICES = {
    "preferred_language": ["en", "es"],
    "employment_status": ["laid_off", "unemployed", "long_term_unemployed", "return_to_work_date", "underemployed",
                          "employed"],
    "covid_related": ["yes", "no", "not_sure"],
    "layoff_notice": ["yes", "no"],
    "agency_staff": ["yes", "no"],
    "attestation": ["y"],
}
CONTROL = st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp"]) | st.sampled_from(
    ["\x00", "\r\n", "\n", "\t", "\x1b", "\x7f", "\x85", "\u2028", "\u202e"])
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=20)


_LETTERS = "abcdefghijklmnopqrstuvwxyzñáéíóúü"
_ID_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"


def valid_value(field: str) -> st.SearchStrategy[str]:
    """Values the form takes (drawn from small alphabets: Hypothesis is the slow part of a post)."""
    if field in CHOICES:
        return st.sampled_from(CHOICES[field])
    return {
        "first_name": st.sampled_from(["Maria", "José Luis", "Nguyễn", "Zoë", "李", "Ana-María"])
        | st.text(_LETTERS, min_size=1, max_size=12),
        "last_name": st.sampled_from(["Gonzalez", "Núñez-Brien", "O'Neil", "van der Berg"]),
        "email": st.builds("{}.{}@{}".format, st.text(_LETTERS[:26], min_size=1, max_size=8),
                           st.integers(0, 10**6), st.sampled_from(["example.com", "correo.example.org"])),
        "phone": st.sampled_from(["", "518-555-0123", "(518) 555 0199", "+1 212 555 0100"]),
        "zip_code": st.builds("{:05d}".format, st.integers(0, 99999))
        | st.builds("{:05d}-{:04d}".format, st.integers(0, 99999), st.integers(0, 9999)),
        "case_id": st.text(_ID_CHARACTERS, max_size=20),
    }[field]


def odd_value(field: str) -> st.SearchStrategy:
    valid = valid_value(field)
    return st.one_of(
        st.just(""),
        ANY_TEXT,
        st.builds(lambda start, control, end: start + control + end, valid, CONTROL, ANY_TEXT),  # copied and pasted
        st.builds(lambda character, length: character * length, st.characters(codec="utf-8"),
                  st.integers(101, 100_000)),  # huge
        st.sampled_from(["no", "0", "false", "off", "on", "Y", "yes", "true", "1", "None", "null", "[]"]),  # wrong
        st.lists(valid | ANY_TEXT, min_size=2, max_size=3),  # the field sent more than once
    )


VALID = {field: valid_value(field) for field in FORM_DATA}
ODD = {field: odd_value(field) for field in FORM_DATA}
FIELDS_TO_BREAK = st.lists(st.sampled_from(list(FORM_DATA)), unique=True, max_size=len(FORM_DATA))
EXTRA_FIELD = st.sampled_from([None, "unexpected", "first_name[]", "", "action"])


@st.composite
def forms(draw) -> dict:
    """A valid form with some of its fields broken (none, one, a few or all): missing, or odd."""
    form = {field: draw(VALID[field]) for field in FORM_DATA}
    for field in draw(FIELDS_TO_BREAK):
        if draw(st.booleans()):
            del form[field]
        else:
            form[field] = draw(ODD[field])
    extra = draw(EXTRA_FIELD)
    if extra is not None:
        form[extra] = draw(ANY_TEXT)  # a field the form does not have
    return form


def test_no_generated_sign_up_form_gets_a_500_and_what_is_accepted_is_clean(app, client, database_url):
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    # The CSRF token and the signed opening time: valid for both languages (they belong to the session)
    hidden = hidden_fields(client, "/en/signup")
    statuses: Counter = Counter()
    languages: Counter = Counter()

    @settings(max_examples=FORMS_PER_BACKEND[backend], deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(language=st.sampled_from(["en", "es"]), form=forms())
    def post_any_form(language, form):
        response = client.post(f"/{language}/signup", data={**hidden, **form})
        statuses[response.status_code] += 1
        languages[language] += 1
        assert response.status_code < 500, form
        if response.status_code == 302:
            assert response.headers["Location"] == f"/{language}/signup/received"
            with app.app_context():
                assert_clean(db.session.scalars(select(SignupRequest).order_by(SignupRequest.id.desc()).limit(1)).one(),
                             form)
        else:
            assert f'<html lang="{language}">' in response.get_data(as_text=True)

    started = time.monotonic()
    post_any_form()
    took = time.monotonic() - started
    total = sum(statuses.values())
    print(f"{backend}: {total} forms in {took:.0f} s ({total / took:.0f}/s); answers {dict(statuses)}; "
          f"languages {dict(languages)}")
    assert total >= FORMS_PER_BACKEND[backend]
    assert min(languages.values()) >= total // 3  # both languages, about half each
    assert statuses[302] >= total // 10  # many got through to the database, not only refusals
    assert statuses[400] >= total // 5


def assert_clean(signup: SignupRequest, form: dict) -> None:
    """What the portal accepted is what the form allows, and nothing else."""
    assert form["attestation"] == "y"
    for column in ("first_name", "last_name", "email", "zip_code", "phone", "case_id"):
        value = getattr(signup, column)
        assert value is None or not has_control_characters(value), column
    assert re.fullmatch(r"[0-9]{5}(-[0-9]{4})?", signup.zip_code)
    assert signup.phone is None or re.fullmatch(r"\+1[0-9]{10}", signup.phone)
    assert signup.case_id is None or re.fullmatch(r"[A-Za-z0-9-]{1,20}", signup.case_id)
    assert signup.first_name.strip() and signup.last_name.strip()
    assert signup.preferred_language in ("en", "es")
    assert signup.employment_status in CHOICES["employment_status"]
