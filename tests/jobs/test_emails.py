"""Every email the portal sends, built for real in English and in Spanish.

Each message is rendered by `build_message` from an outbox row of a real request, as the email job
does: the tests read what the applicant would read.
"""

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale

from portal.extensions import db
from portal.models import utcnow
from portal.notifications import EMAIL_KINDS, build_message
from portal.outbox import queue_email
from tests.factories import make_signup

LANGUAGES = ["en", "es"]
ENROLL_BY = date(2027, 3, 15)
LAST_ACTIVITY = datetime(2027, 1, 10, 17, 0)  # noon in New York: the same day in every time zone we use
DATES = {
    "enroll_by": {"en": "March 15, 2027", "es": "15 de marzo de 2027"},
    "last_activity": {"en": "January 10, 2027", "es": "10 de enero de 2027"},
}

#: One sentence of each template, in English and as the Spanish catalog gives it.
KEY_PHRASES = {
    "confirmation": ("We received your request for a free online-training license.",
                     "Recibimos su solicitud de una licencia gratuita de capacitación en línea."),
    "not_eligible": ("We cannot give you a free online-training license through this program.",
                     "No podemos darle una licencia gratuita de capacitación en línea a través de este programa."),
    "waitlisted": ("You are on the waitlist.", "Usted está en la lista de espera."),
    "invitation": ("Your free online-training license is ready.",
                   "Su licencia gratuita de capacitación en línea está lista."),
    "reenrolment": ("Welcome back.", "Le damos la bienvenida de nuevo."),
    "reminder_not_accepted": ("You have not joined yet.", "Todavía no se ha unido."),
    "reminder_enroll_by": ("The last day to join is", "El último día para unirse es el"),
    "reminder_inactive": ("We have not seen any activity in your courses since",
                          "No hemos visto actividad en sus cursos desde el"),
    "removal": ("Your free online-training license has ended.",
                "Su licencia gratuita de capacitación en línea terminó."),
    "already_signed_up": ("You already have a request, so we did not make a second one.",
                          "Usted ya tiene una solicitud, así que no hicimos una segunda."),
}

#: The sentence a request's reason code becomes, for the kinds that give a reason.
REASONS = {
    "not_eligible": {"en": "People who are working qualify only if they have a notice",
                     "es": "Las personas que trabajan solo califican si tienen un aviso de despido"},
    "removal": {"en": "There was no activity in your courses for a long time.",
                "es": "No hubo actividad en sus cursos durante mucho tiempo."},
}

#: English that every email's text carries somewhere (greeting, footer): never in a Spanish one.
ENGLISH_EVERYWHERE = ["Hello", "Your reference code", "Questions? Write to", "Program run by"]

JOIN_KINDS = {"invitation", "reenrolment", "reminder_not_accepted", "reminder_enroll_by"}
SIGNUP_LINK_KINDS = {"not_eligible", "removal"}


def test_every_kind_of_email_is_covered_here():
    assert KEY_PHRASES.keys() == EMAIL_KINDS.keys()


def _message_for(kind: str, language: str, **fields):
    """A request in the state this kind of email is sent in, and the message built for it."""
    answers = {"employment_status": "employed", "layoff_notice": "no"} if kind == "not_eligible" else {}
    signup = make_signup(preferred_language=language, **answers)
    defaults = {
        "invited_at": utcnow() - timedelta(days=40),
        "enroll_by": ENROLL_BY,
        "last_activity_at": LAST_ACTIVITY,
        "removal_reason": "inactive" if kind == "removal" else None,
    }
    for name, value in {**defaults, **fields}.items():
        setattr(signup, name, value)
    email = queue_email(signup, kind, occasion="test")
    db.session.commit()
    return signup, build_message(email)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(EMAIL_KINDS))
def test_every_email_is_complete_in_the_applicants_language(app_context, kind, language):
    signup, message = _message_for(kind, language)
    text, html = message.body, message.html
    english, spanish = KEY_PHRASES[kind]

    with force_locale("en"):
        english_subject = str(EMAIL_KINDS[kind].subject)
    with force_locale(language):
        assert message.subject == str(EMAIL_KINDS[kind].subject)
    if language == "es":
        assert message.subject != english_subject
    else:
        assert message.subject == english_subject

    assert text and html
    assert f'<html lang="{language}">' in html
    assert signup.reference_code in text and signup.reference_code in html
    assert message.recipients == [signup.email]

    assert (english if language == "en" else spanish) in text
    assert (english if language == "en" else spanish) in html
    if language == "es":
        assert english not in text and english not in html
        for phrase in ENGLISH_EVERYWHERE:
            assert phrase not in text, f"untranslated {phrase!r} in the Spanish {kind} email"

    join_link = f"https://portal.test/{language}/join/"
    if kind in JOIN_KINDS:
        assert join_link in text and join_link in html
        assert DATES["enroll_by"][language] in text and DATES["enroll_by"][language] in html
    else:
        assert "/join/" not in text and "/join/" not in html
    signup_link = f"https://portal.test/{language}/signup"
    if kind in SIGNUP_LINK_KINDS:
        assert signup_link in text and signup_link in html
    if kind in REASONS:
        assert REASONS[kind][language] in text and REASONS[kind][language] in html
    if kind == "reminder_inactive":
        assert DATES["last_activity"][language] in text and DATES["last_activity"][language] in html
        assert "https://www.coursera.org/" in text and "https://www.coursera.org/" in html
    if kind in ("confirmation", "waitlisted", "already_signed_up"):
        assert f"https://portal.test/{language}/status" in text and f"https://portal.test/{language}/status" in html


@pytest.mark.parametrize("kind", list(EMAIL_KINDS))
def test_text_emails_are_laid_out_in_clean_paragraphs(app_context, kind):
    _signup, message = _message_for(kind, "en")
    text = message.body
    assert text == text.strip()
    assert "\n\n\n" not in text
    assert not re.search(r"[ \t]+$", text, re.MULTILINE)
    assert text.endswith("Program run by: New York State Department of Labor.")


def test_invitations_give_the_complete_by_date_for_finishing_courses(app_context):
    _signup, message = _message_for("invitation", "en")
    assert "Finish your courses by November 30, 2027." in message.body
    assert "Finish your courses by November 30, 2027." in message.html
    assert "access to the courses ends" not in message.body  # the same day as complete_by in New York


def test_invitations_also_give_the_end_of_access_when_it_comes_later(app, app_context, tmp_path):
    ny = (Path(app.root_path) / "programs" / "ny.toml").read_text(encoding="utf-8")
    program_file = tmp_path / "later_end.toml"
    program_file.write_text(re.sub(r"(?m)^program_ends = .*$", "program_ends = 2028-01-31", ny), encoding="utf-8")
    app.config["PORTAL_PROGRAM"] = str(program_file)

    _signup, message = _message_for("reenrolment", "es")
    for body in (message.body, message.html):
        assert "Termine sus cursos a más tardar el 30 de noviembre de 2027." in body
        assert "Su acceso a los cursos termina el 31 de enero de 2028." in body


def test_a_closed_program_gives_the_reason_and_does_not_ask_for_a_new_sign_up(app_context):
    _signup, message = _message_for("not_eligible", "es", decision_reason="program_closed")
    for body in (message.body, message.html):
        assert "El programa ya no está entregando licencias nuevas." in body
        assert "/es/signup" not in body
