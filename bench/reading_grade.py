"""The reading grade of the English that applicants read: every public page (each result of the
status, answer and join pages, every error page) and every email, by the Flesch-Kincaid formula
(textstat). The target is grade 6 or lower; tests/test_plain_language.py holds the portal to it.

    .venv/bin/python -m bench.reading_grade          prints one line per page and email, then the whole

Pages are rendered from their templates with made-up requests in each state (nothing is saved), so
the script needs no database, Redis or mail server.
"""

import html
import os
import re
import sys
import tempfile
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import textstat

#: Pages whose main text is long enough to measure are held to this grade; so is the whole.
TARGET_GRADE = 6.0

_MAIN = re.compile(r"<main[^>]*>(.*)</main>", re.S)
_TAGS = re.compile(r"<[^>]+>")
#: Not words anybody reads as prose: links, addresses, codes, phone numbers.
_NOT_PROSE = re.compile(r"https?://\S+|[\w.+-]+@[\w.-]+|\b[0-9A-Z]{4}-[0-9A-Z]{4}\b|\b\d{3}-\d{3}-\d{4}\b")


def prose(markup: str) -> str:
    """The sentences of a page's main part, or of an email's text, one per line."""
    found = _MAIN.search(markup)
    text = html.unescape(_TAGS.sub("\n", found.group(1) if found else markup))
    text = _NOT_PROSE.sub("it", text)
    lines = [line.strip(" -•\t") for line in text.splitlines()]
    # A heading, list item or button is a sentence of its own for the formula.
    return "\n".join(line if line.endswith((".", "?", "!", ":")) else line + "." for line in lines if line)


def grade(text: str) -> float:
    return textstat.flesch_kincaid_grade(text)


def _signup(state: str, **fields):
    from portal.models import SignupRequest

    values = dict(
        id=1, reference_code="K7MQ-4X2P", program="ny", state=state, first_name="Maria", last_name="Lopez",
        email="maria.lopez@example.com", preferred_language="en", decision_reason="out_of_work",
        removal_reason="inactive", enroll_by=date(2027, 11, 15), invited_at=datetime(2027, 10, 1, 14),
        created_at=datetime.utcnow() - timedelta(hours=1), last_activity_at=datetime(2027, 10, 5, 14),
    )
    values.update(fields)
    return SignupRequest(**values)


def _as_the_view_sees_it() -> None:
    """What the language prefix's URL preprocessor does before a view runs (portal.i18n)."""
    from flask import g, request

    g.lang_code = (request.view_args or {}).pop("lang_code", "en")


def _pages(app) -> dict[str, str]:
    """Every public page's HTML, by name."""
    from flask import render_template
    from jinja2 import TemplateNotFound

    from portal.applicant.forms import JoinForm, StatusForm
    from portal.eligibility import REASONS
    from portal.errors import MESSAGES
    from portal.invitations import ResendResult
    from portal.public.forms import SignupForm

    pages = {}

    def page(name, template, path="/en/", **context):
        """Render `template` at `path`; a callable in `context` (a form) is called there first."""
        with app.test_request_context(path):
            _as_the_view_sees_it()
            try:
                pages[name] = render_template(template, **{key: value() if callable(value) and key != "ResendResult"
                                                           else value for key, value in context.items()})
            except TemplateNotFound:  # a page this version of the portal does not have
                pass

    page("home", "public/home.html", issuing=True)
    page("signup", "public/signup.html", "/en/signup", form=lambda: SignupForm(meta={"csrf": False}))
    page("closed", "public/closed.html")
    for name in ("help", "privacy", "accessibility"):
        page(name, f"public/{name}.html", f"/en/{name}", retention_days=1095)
    received = dict(email="maria.lopez@example.com", denied=False, needs_review=False, no_spots_left=False,
                    reason=REASONS["out_of_work"])
    page("received", "public/received.html", **received)
    page("received-review", "public/received.html", **{**received, "needs_review": True,
                                                         "reason": REASONS["return_to_work_date"]})
    page("received-no-spots", "public/received.html", **{**received, "no_spots_left": True})
    page("received-denied", "public/received.html", **{**received, "denied": True,
                                                         "reason": REASONS["working_without_notice"]})
    status = dict(form=lambda: StatusForm(meta={"csrf": False}), ResendResult=ResendResult, join_token="t", late=False,
                  waitlist_position=3, resend_result=None, not_found=False, reason=REASONS["agency_staff"])
    page("status", "applicant/status.html", "/en/status", **{**status, "signup": None})
    page("status-not-found", "applicant/status.html", "/en/status", **{**status, "signup": None, "not_found": True})
    for state in ("invited", "enrolled", "completed", "denied", "waitlisted", "needs_review", "removed", "failed",
                  "approved"):
        page(f"status-{state}", "applicant/status.html", "/en/status", **status, signup=_signup(state))
    page("status-late", "applicant/status.html", "/en/status", **{**status, "late": True},
         signup=_signup("approved", created_at=datetime.utcnow() - timedelta(days=3)))
    page("join", "applicant/join.html", "/en/join/t", form=lambda: JoinForm(meta={"csrf": False}),
         signup=_signup("invited"))
    for why in ("removed", "expired", "invalid", "not_open"):
        page(f"join-closed-{why}", "applicant/join_closed.html", "/en/join/t", why=why,
             signup=_signup("removed"))
    for code, (heading, explanation) in MESSAGES.items():
        page(f"error-{code}", "error.html", "/en/x", code=code, heading=heading, explanation=explanation,
             staff_page=False)
    with app.test_request_context("/en/"):
        _as_the_view_sees_it()
        footer = render_template("public/home.html", issuing=True)
    pages["footer"] = footer[footer.index("<footer"):]
    return pages


def _emails(app) -> dict[str, str]:
    """Every email's text, by kind."""
    from portal.notifications import EMAIL_KINDS, build_message

    emails = {}
    with app.app_context():
        for kind in EMAIL_KINDS:
            state = "invited" if kind != "not_eligible" else "denied"
            signup = _signup(state, decision_reason="working_without_notice" if state == "denied" else "out_of_work")
            message = build_message(SimpleNamespace(signup_request=signup, kind=kind, idempotency_key=kind))
            emails[f"email-{kind}"] = f"{message.subject}.\n{message.body}"
    return emails


def english_texts(app) -> dict[str, str]:
    """The prose of every public page and email, by name."""
    return {name: prose(markup) for name, markup in {**_pages(app), **_emails(app)}.items()}


def _app():
    from portal import create_app

    os.environ.setdefault("PORTAL_ENV", "development")
    instance = tempfile.mkdtemp(prefix="reading-grade-")
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/portal.sqlite3",
                       "PUBLIC_BASE_URL": "https://portal.test", "SECRET_KEY": "reading-grade-" * 4})


def main() -> int:
    texts = english_texts(_app())
    width = max(map(len, texts))
    for name, text in texts.items():
        print(f"{name:<{width}}  grade {grade(text):5.1f}  words {textstat.lexicon_count(text):4d}")
    whole = "\n".join(texts.values())
    print(f"{'all of it':<{width}}  grade {grade(whole):5.1f}  words {textstat.lexicon_count(whole):4d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
