"""Public pages kept by each web process (`portal.page_cache`): every visitor still gets a form of
their own, each language its own page, each day its own, and a form sent back is never a kept one."""

import re
import time
from contextlib import contextmanager

import pytest
import time_machine
from flask import template_rendered

from portal.bot_check import is_valid_stamp
from portal.models import SignupRequest
from tests.conftest import CSRF_PATTERN, hidden_fields
from tests.factories import FORM_DATA

PLACEHOLDER = "page-cache-placeholder"
#: Headers whose values differ from one answer to the next whatever is kept.
CHANGING_HEADERS = {"Date", "Set-Cookie", "Content-Length"}


@contextmanager
def rendered_templates(app):
    """The names of the templates the app renders inside the block, in order."""
    names = []

    def record(_sender, template, context, **_extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


def _without_tokens(page: str) -> str:
    return re.sub(r'(name="(?:csrf_token|form_opened)" type="hidden" value=")[^"]+', r"\1…", page)


def test_two_visitors_of_the_kept_sign_up_form_get_their_own_token_and_stamp(app):
    first, second = app.test_client(), app.test_client()
    with rendered_templates(app) as rendered:
        first_page = first.get("/en/signup")
        second_page = second.get("/en/signup")
    assert rendered.count("public/signup.html") == 1  # the second one came from the cache
    assert first_page.status_code == second_page.status_code == 200
    assert "session=" in first_page.headers["Set-Cookie"] and "session=" in second_page.headers["Set-Cookie"]
    for page in (first_page, second_page):
        assert PLACEHOLDER not in page.get_data(as_text=True)
    first_fields, second_fields = hidden_fields(first, "/en/signup"), hidden_fields(second, "/en/signup")
    assert first_fields["csrf_token"] != second_fields["csrf_token"]
    with app.app_context():
        assert is_valid_stamp(first_fields["form_opened"]) and is_valid_stamp(second_fields["form_opened"])

    # A token belongs to its visitor's session: the other's is refused, each one's own is accepted.
    refused = second.post("/en/signup", data={**FORM_DATA, **first_fields})
    assert refused.status_code == 400 and "This form has expired" in refused.get_data(as_text=True)
    for client, fields, email in ((first, first_fields, "first@example.com"),
                                  (second, second_fields, "second@example.com")):
        sent = client.post("/en/signup", data={**FORM_DATA, **fields, "email": email})
        assert sent.status_code == 302 and sent.headers["Location"] == "/en/signup/received"
    with app.app_context():
        assert sorted(request.email for request in SignupRequest.query) == ["first@example.com", "second@example.com"]


def test_two_visitors_of_the_kept_status_form_get_their_own_token(app):
    first, second = app.test_client(), app.test_client()
    with rendered_templates(app) as rendered:
        tokens = [hidden_fields(client, "/es/status")["csrf_token"] for client in (first, second)]
    assert rendered.count("applicant/status.html") == 1
    assert tokens[0] != tokens[1]
    checked = second.post("/es/status", data={"csrf_token": tokens[1], "reference_code": "K7MQ-4X2P",
                                              "email": "nobody@example.com"})
    assert checked.status_code == 200  # the token was accepted: the form was checked
    assert "<h1>No encontramos esa solicitud</h1>" in checked.get_data(as_text=True)


@pytest.mark.parametrize(("path", "english", "spanish"), [
    ("", "Free online courses for people who lost work",
     "Cursos gratuitos en línea para personas que perdieron su trabajo"),
    ("signup", "Sign up for free online courses", "Inscríbase en los cursos gratuitos en línea"),
    ("status", "Check your request", "Consulte su solicitud"),
    ("help", "Help and questions", "Ayuda y preguntas frecuentes"),
])
def test_each_language_has_its_own_kept_page(client, path, english, spanish):
    pages = {language: [client.get(f"/{language}/{path}").get_data(as_text=True) for _ in range(2)]
             for language in ("en", "es", "en", "es")}  # asked in turn: each answer after the first is kept
    for language, (page, again) in pages.items():
        other = "es" if language == "en" else "en"
        assert f'<html lang="{language}">' in page
        assert f'href="/{other}/{path}"' in page  # the link to the other language is this page's own
        assert _without_tokens(page) == _without_tokens(again)
        assert PLACEHOLDER not in page
    assert f"<h1>{english}</h1>" in pages["en"][0] and spanish not in pages["en"][0]
    assert f"<h1>{spanish}</h1>" in pages["es"][0] and english not in pages["es"][0]


def test_the_kept_sign_up_form_chooses_emails_in_the_language_of_the_page(client):
    for language in ("en", "es", "en", "es"):
        page = client.get(f"/{language}/signup").get_data(as_text=True)
        checked = re.findall(r'<input checked[^>]*name="preferred_language"[^>]*value="(\w+)"', page)
        assert checked == [language]


def test_the_kept_pages_follow_the_programs_day(client):
    # New York stops issuing after 31 October 2027, New York time (UTC-4 that night).
    with time_machine.travel("2027-11-01 03:30Z"):  # 11:30 p.m. on 31 October in New York
        home = client.get("/en/").get_data(as_text=True)
        form = client.get("/en/signup").get_data(as_text=True)
    assert "Sign up now" in home and "stopped taking new sign-ups" not in home
    assert "Send my request" in form
    with time_machine.travel("2027-11-01 04:30Z"):  # half past midnight on 1 November: closed
        home = client.get("/en/").get_data(as_text=True)
        closed = client.get("/en/signup").get_data(as_text=True)
    assert "Sign up now" not in home and "The program stopped taking new sign-ups on October 31, 2027." in home
    assert "Sign-up is closed" in closed and "Send my request" not in closed


def test_a_form_sent_back_with_errors_is_rendered_with_what_was_typed(app, client):
    fields = hidden_fields(client, "/en/signup")  # the form is kept now
    typed = {**FORM_DATA, **fields, "first_name": "Ana-Lucía", "email": "not an email", "zip_code": "1220"}
    with rendered_templates(app) as rendered:
        sent_back = client.post("/en/signup", data=typed)
        blank = client.get("/en/signup")
    assert rendered == ["public/signup.html"]  # the form with errors; the blank one again came from the cache
    page = sent_back.get_data(as_text=True)
    assert sent_back.status_code == 400
    assert "There is a problem" in page and "<title>Error: " in page
    assert 'value="Ana-Lucía"' in page and 'value="not an email"' in page and 'value="1220"' in page
    assert f'value="{fields["form_opened"]}"' in page  # the time it was first opened, kept
    assert CSRF_PATTERN.search(page) and PLACEHOLDER not in page
    blank_page = blank.get_data(as_text=True)
    assert blank.status_code == 200
    assert "Ana-Lucía" not in blank_page and "There is a problem" not in blank_page and "Error:" not in blank_page
    with app.app_context():
        assert SignupRequest.query.count() == 0


def test_a_kept_page_answers_with_the_same_headers(app):
    for url in ("/en/", "/es/signup", "/en/status", "/en/privacy"):
        rendered, kept = app.test_client().get(url), app.test_client().get(url)
        assert rendered.status_code == kept.status_code == 200
        assert ({name: value for name, value in rendered.headers.items() if name not in CHANGING_HEADERS}
                == {name: value for name, value in kept.headers.items() if name not in CHANGING_HEADERS})
        assert kept.headers["Cache-Control"] == "no-store" and "frame-ancestors 'none'" in kept.headers[
            "Content-Security-Policy"]
        assert ("Set-Cookie" in rendered.headers) == ("Set-Cookie" in kept.headers)


@pytest.mark.parametrize("app_settings", [{"PAGE_CACHE_SECONDS": 0}])
def test_with_no_page_cache_every_page_is_rendered_each_time(app, client):
    with rendered_templates(app) as rendered:
        for url in ("/en/", "/en/", "/es/status", "/es/status"):
            client.get(url)
        hidden_fields(client, "/en/signup")
        fields = hidden_fields(client, "/en/signup")
    assert rendered.count("public/home.html") == 2 and rendered.count("applicant/status.html") == 2
    assert rendered.count("public/signup.html") == 2
    assert "page_cache" not in app.extensions
    sent = client.post("/en/signup", data={**FORM_DATA, **fields})
    assert sent.status_code == 302


@pytest.mark.parametrize("app_settings", [{"PAGE_CACHE_SECONDS": 1}])
def test_a_kept_page_is_rendered_again_after_page_cache_seconds(app, client):
    with rendered_templates(app) as rendered:
        client.get("/en/help")
        client.get("/en/help")
        time.sleep(1.1)
        client.get("/en/help")
    assert rendered.count("public/help.html") == 2
