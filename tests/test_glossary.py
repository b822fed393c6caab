"""The glossary (translations/glossary.toml) holds: no forbidden word in the Spanish catalog, in any
Spanish email, or in the program files' Spanish names, nor in the English that applicants read; and
every subject fits a phone's inbox."""

import re
import tomllib
from datetime import date, datetime
from email.utils import parseaddr
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from portal.models import RequestState, SignupRequest
from portal.notifications import EMAIL_KINDS, SUBJECT_MAX_LENGTH, build_message, email_subject
from portal.programs import PROGRAMS_DIR, load_program

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = tomllib.loads((ROOT / "translations/glossary.toml").read_text())
ENTRIES = GLOSSARY["term"] + GLOSSARY["rule"]
#: Strings only staff read: the trade's words are allowed there for terms `where = "applicants"`.
STAFF_SOURCES = ("portal/admin/", "portal/helpdesk/", "portal/models.py", "portal/signups.py")
#: Placeholders, links, email addresses and phone numbers are not words of either language.
NOT_WORDS = re.compile(r"%\(\w+\)s|https?://\S+|[\w.+-]+@[\w.-]+|\b[\w.-]+\.(?:gov|com|org)\b")
PROGRAMS = sorted(path.stem for path in PROGRAMS_DIR.glob("*.toml"))


def _patterns(language: str, audience: str) -> list[tuple[str, re.Pattern]]:
    """(what the entry is, compiled pattern) for every forbidden word that applies to `audience`."""
    found = []
    for entry in ENTRIES:
        if audience == "staff" and entry.get("where") == "applicants":
            continue
        for word in entry.get(f"forbid_{language}", []):
            name = entry.get("name") or f"{entry['en']} → {entry['es']}"
            pattern = word if word.startswith(("^", "(", ",")) else rf"(?<!\w){word}(?!\w)"
            found.append((name, re.compile(pattern, re.IGNORECASE | re.MULTILINE)))
    return found


def breaches(text: str, language: str, audience: str = "applicants") -> list[str]:
    words = NOT_WORDS.sub(" ", text)
    return [f"{name}: {match.group().strip()!r} in {text!r}"
            for name, pattern in _patterns(language, audience) for match in [pattern.search(words)] if match]


def _catalog():
    with (ROOT / "translations/es/LC_MESSAGES/messages.po").open("rb") as file:
        return read_po(file)


def _audience(message) -> str:
    staff_only = message.locations and all(path.startswith(STAFF_SOURCES) for path, _line in message.locations)
    return "staff" if staff_only else "applicants"


def _strings(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_the_glossary_rules_catch_what_they_are_for():
    """Each kind of slip the glossary exists for is caught (so the tests below can fail)."""
    assert breaches("Su licencia gratuita está lista.", "es")
    assert breaches("Hola, María José,", "es")
    assert breaches("Únase ahora", "es")
    assert breaches("Escriba a la mesa de ayuda.", "es")
    assert breaches("Usted califica para el programa.", "es")
    assert breaches("Tiene preguntas? Escriba.", "es")
    assert breaches("Nombre, apellidos, y correo.", "es")
    assert breaches("Puedes inscribirte.", "es")
    assert breaches("Join now to continue", "en")
    assert breaches("Your OSOS ID", "en")
    assert not breaches("Hola, María José:", "es")
    assert not breaches("¿Tiene preguntas? Escriba a training-help@labor.example.gov o llame.", "es")
    assert not breaches("Cree su cuenta de %(provider)s a más tardar el %(date)s.", "es")
    assert not breaches("Por su seguridad, los formularios vencen.", "es")
    # Staff pages may name the provider and the OSOS ID, never "licencia" nor "mesa de ayuda".
    assert not breaches("Proveedor de capacitación", "es", "staff")
    assert breaches("Licencias de capacitación – mesa de ayuda", "es", "staff")


def test_every_spanish_string_keeps_the_glossary():
    found = []
    for message in _catalog():
        if message.id:
            for text in _strings(message.string):
                found += breaches(text, "es", _audience(message))
    assert not found, "\n".join(found)


def test_the_english_applicants_read_keeps_the_glossary():
    found = []
    for message in _catalog():
        if message.id and _audience(message) == "applicants":
            for text in _strings(message.id):
                found += breaches(text, "en")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("code", PROGRAMS)
def test_program_files_name_things_in_spanish_by_the_glossary(code):
    program = load_program(code)
    spanish = [*vars(program.names_in("es")).values(), program.help_page.topics["es"]]
    found = [problem for text in spanish for problem in breaches(text, "es")]
    assert not found, "\n".join(found)
    assert program.names_in("es") != program.names_in("en")


def _signup(state: str, language: str) -> SignupRequest:
    """A request as an email sees it (not saved: rendering reads only its fields)."""
    return SignupRequest(
        id=1, reference_code="K7MQ-4X2P", program="ny", state=state, first_name="María José",
        last_name="Núñez", email="maria.jose@example.com", preferred_language=language,
        decision_reason="working_without_notice", removal_reason="inactive", enroll_by=date(2027, 11, 15),
        invited_at=datetime(2027, 10, 1, 14), created_at=datetime(2027, 9, 30, 14),
    )


#: Each kind of email with a state it is sent in (the already-signed-up one in each state it can tell).
EMAIL_CASES = [(kind, state) for kind in EMAIL_KINDS if kind != "already_signed_up" for state in ["invited"]] + [
    ("already_signed_up", state) for state in
    (RequestState.INVITED, RequestState.WAITLISTED, RequestState.NEEDS_REVIEW, RequestState.FAILED,
     RequestState.APPROVED, RequestState.ENROLLED)]


def _rendered(app, program_code: str, kind: str, state: str, language: str):
    app.config["PORTAL_PROGRAM"] = program_code
    with app.app_context():
        email = SimpleNamespace(signup_request=_signup(state, language), kind=kind, idempotency_key=f"{kind}-1")
        return build_message(email)


def _visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("code", PROGRAMS)
def test_every_spanish_email_keeps_the_glossary(app, code):
    found = []
    for kind, state in EMAIL_CASES:
        message = _rendered(app, code, kind, state, "es")
        found += breaches(message.subject, "es")
        found += [f"{kind} (text): {problem}" for problem in breaches(message.body, "es")]
        found += [f"{kind} (html): {problem}" for problem in breaches(_visible_text(message.html), "es")]
        assert message.body.startswith("Hola, María José:\n"), kind
    assert not found, "\n".join(found)


@pytest.mark.parametrize("code", PROGRAMS)
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_subject_fits_a_phone_screen(app, code, language):
    app.config["PORTAL_PROGRAM"] = code
    with app.app_context(), force_locale(language):
        subjects = {kind: email_subject(kind) for kind in EMAIL_KINDS}
    too_long = {kind: f"{len(subject)}: {subject}" for kind, subject in subjects.items()
                if len(subject) > SUBJECT_MAX_LENGTH}
    assert not too_long
    assert len(set(subjects.values())) == len(subjects)  # each says which email it is
    if language == "es":
        assert subjects["invitation"] == "Su acceso gratuito a Coursera está listo"


@pytest.mark.parametrize("code", PROGRAMS)
def test_the_sender_is_named_in_the_applicants_language(app, code):
    program = load_program(code)
    for language in ("en", "es"):
        message = _rendered(app, code, "invitation", "invited", language)
        name, address = parseaddr(message.sender)
        assert name == program.names_in(language).sender
        assert address == "no-reply@localhost"  # from MAIL_DEFAULT_SENDER
