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
from portal.notifications import EMAIL_KINDS, build_message, email_subject
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
    "confirmation": ("We got your request for free online courses.",
                     "Recibimos su solicitud de cursos gratuitos en línea."),
    "not_eligible": ("We cannot give you free online courses through this program.",
                     "No podemos darle cursos gratuitos en línea por medio de este programa."),
    "waitlisted": ("You are on the waiting list.", "Usted está en la lista de espera."),
    "invitation": ("Your free access to Coursera is ready.", "Su acceso gratuito a Coursera está listo."),
    "reenrolment": ("Welcome back.", "Nos alegra verle de nuevo."),
    "reminder_not_accepted": ("You have not created your account yet.", "Todavía no ha creado su cuenta."),
    "reminder_enroll_by": ("The last day to create your account is", "El último día para crear su cuenta es el"),
    "reminder_inactive": ("You have not used your courses since", "No ha usado sus cursos desde el"),
    "removal": ("Your free access to Coursera has ended.", "Su acceso gratuito a Coursera terminó."),
    "withdrawn": ("We closed your request for free online courses, as you asked us to.",
                  "Cerramos su solicitud de cursos gratuitos en línea, como nos pidió."),
    "already_signed_up": ("You already have a request, so we did not make a new one.",
                          "Usted ya tiene una solicitud, así que no hicimos otra."),
}

#: The sentence a request's reason code becomes, for the kinds that give a reason.
REASONS = {
    "not_eligible": {"en": "People who are working can get them only if they have a layoff notice.",
                     "es": "Las personas que trabajan pueden recibirlos solo si tienen un aviso de despido."},
    "removal": {"en": "You did not use your courses for a long time.",
                "es": "No usó sus cursos durante mucho tiempo."},
}

#: English that every email's text carries somewhere (greeting, footer): never in a Spanish one.
ENGLISH_EVERYWHERE = ["Hello", "Your reference code", "Questions? Email", "Run by the", "We answer the phone"]

JOIN_KINDS = {"invitation", "reenrolment", "reminder_not_accepted", "reminder_enroll_by"}
SIGNUP_LINK_KINDS = {"not_eligible", "removal", "withdrawn"}


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
        english_subject = email_subject(kind)
    with force_locale(language):
        assert message.subject == email_subject(kind)
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
    assert text.endswith("Run by the New York State Department of Labor.")


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
        assert "El programa ya no acepta inscripciones nuevas." in body
        assert "/es/signup" not in body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["invitation", "reenrolment"])
def test_the_invitation_names_the_platform_and_the_steps_and_shows_its_link_as_text(app_context, kind, language):
    signup, message = _message_for(kind, language)
    join_url = re.search(r"https://portal\.test/\w\w/join/\S+", message.body).group()
    steps = {
        "en": ["Here is what to do:", "On Coursera, create your account with this email address: " + signup.email,
               "If you already have a Coursera account with this email address, sign in instead.",
               "Choose your courses and start learning."],
        "es": ["Esto es lo que debe hacer:", "En Coursera, cree su cuenta con este correo electrónico: " + signup.email,
               "Si ya tiene una cuenta de Coursera con este correo electrónico, mejor inicie sesión.",
               "Elija sus cursos y empiece a aprender."],
    }[language]
    for body in (message.body, message.html):
        for step in steps:
            assert step in body
    # The HTML has the button and, for mail programs that hide buttons, the same link as text.
    assert message.html.count(f'href="{join_url}"') == 2
    assert f">{join_url}</a>" in message.html


@pytest.mark.parametrize("kind", list(EMAIL_KINDS))
def test_every_email_gives_the_help_address_as_a_link_that_stays_whole_and_the_phone(app_context, kind):
    _signup, message = _message_for(kind, "en")
    address = "training-help@labor.example.gov"
    assert f'href="mailto:{address}" style="color:#005ea2;display:inline-block;max-width:100%;">{address}</a>' \
        in message.html
    assert 'href="tel:+15185550142"' in message.html and "518-555-0142" in message.body
    # New York's file gives the help line's hours; Massachusetts' does not, and its emails promise none.
    assert "We answer the phone Monday to Friday, 8:30 a.m. to 4:30 p.m." in message.body


def test_without_hours_in_the_program_file_the_emails_promise_none(app, app_context):
    app.config["PORTAL_PROGRAM"] = "ma"
    _signup, message = _message_for("invitation", "es")
    assert "617-555-0123" in message.body and 'href="tel:+16175550123"' in message.html
    assert "Atendemos el teléfono" not in message.body and "Atendemos el teléfono" not in message.html
    assert message.body.endswith("Un programa del Departamento de Servicios de Empleo MassHire.")
