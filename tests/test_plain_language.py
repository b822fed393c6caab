"""The English applicants read is plain: every public page and email at a reading grade of 6 or
lower (Flesch-Kincaid, bench/reading_grade.py prints the figures), and none of the words the
glossary keeps from them (license, provider, join, OSOS ID...)."""

import pytest

from bench.reading_grade import TARGET_GRADE, english_texts, grade
from tests.test_glossary import breaches


@pytest.fixture
def texts(app):
    return english_texts(app)


def test_every_page_and_email_is_measured(texts):
    for name in ("home", "signup", "help", "privacy", "accessibility", "received", "status-late", "join",
                 "error-404", "error-429", "email-invitation", "email-removal"):
        assert len(texts[name].split()) >= 10, name


def test_every_page_and_email_reads_at_grade_6_or_lower(texts):
    grades = {name: grade(text) for name, text in texts.items()}
    assert {name: value for name, value in grades.items() if value > TARGET_GRADE} == {}
    assert grade("\n".join(texts.values())) <= TARGET_GRADE


def test_the_measure_tells_plain_from_dense():
    """The formula is not blind: the agency's own notice reads far above the target."""
    notice = ("Individuals must be a dislocated worker or an unemployed adult whose unemployment is COVID-19 "
              "related in order to sign up for a Coursera license through the New York State program.")
    assert grade(notice) > 12
    assert grade("You can sign up if you lost your job. It is free.") <= TARGET_GRADE


def test_no_page_or_email_uses_the_words_the_glossary_keeps_from_applicants(texts):
    found = [f"{name}: {problem}" for name, text in texts.items() for problem in breaches(text, "en")]
    assert not found, "\n".join(found)
