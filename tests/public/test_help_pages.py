"""Help, privacy and accessibility pages, built from the program file, linked from every page's
footer; and the questions of the form, each asked only when an answer is used."""

import re
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import SeatPool, SignupRequest
from portal.programs import current_program
from tests.conftest import post_form
from tests.factories import FORM_DATA, make_signup

PAGES = ["help", "privacy", "accessibility"]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("path", ["", "signup", "status", "help", "privacy", "accessibility", "no-such-page"])
def test_every_page_links_to_help_privacy_and_accessibility_in_its_language(client, language, path):
    page = client.get(f"/{language}/{path}").get_data(as_text=True)
    footer = page[page.index('<footer class="portal-footer">'):]
    for name in PAGES:
        assert f'href="/{language}/{name}"' in footer, name
    assert 'href="mailto:training-help@labor.example.gov"' in footer and 'href="tel:+15185550142"' in footer


@pytest.mark.parametrize("name", PAGES)
def test_the_pages_answer_in_both_languages(client, name):
    english = client.get(f"/en/{name}")
    spanish = client.get(f"/es/{name}")
    assert english.status_code == spanish.status_code == 200
    assert '<html lang="es">' in spanish.get_data(as_text=True)
    assert f'href="/en/{name}"' in spanish.get_data(as_text=True)  # the same page in the other language


def _help(app, client, code: str, language: str = "en") -> str:
    app.config["PORTAL_PROGRAM"] = code
    return client.get(f"/{language}/help").get_data(as_text=True)


def test_the_help_page_says_what_new_york_says(app, client):
    page = _help(app, client, "ny")
    assert "Coursera has more than 4,000 courses." in page
    assert "No. Certificates you earn through this program are free." in page
    assert "No. This program does not give a degree or college credit." in page
    assert "If you stop a course, you can start it again later. It is still free." in page
    assert "All course videos have captions." in page
    assert "If you do not use your courses for 30 days, we send you a reminder. After 45 days" in page
    assert "a staff member looks at your request first" in page  # a return-to-work date is reviewed
    assert "We answer the phone Monday to Friday, 8:30 a.m. to 4:30 p.m." in page
    assert "You can take courses until November 30, 2027." in page


def test_the_help_page_says_what_massachusetts_says_and_nothing_it_does_not(app, client):
    page = _help(app, client, "ma")
    assert "Coursera has thousands of courses." in page
    assert "Some certificates come from other groups and cost money." in page
    assert "People who are out of work now but have a date to go back." in page
    assert "Staff at a MassHire Career Center can fill in the form with you." in page
    assert "If you do not use your courses for 21 days, we send you a reminder. After 35 days" in page
    for unsaid in ("college credit", "captions", "start it again later", "We answer the phone", "4,000"):
        assert unsaid not in page, unsaid
    assert "617-555-0123" in page


def test_the_spanish_help_page_uses_the_programs_spanish_names(app, client):
    page = _help(app, client, "ma", "es")
    assert "centro de empleo MassHire (MassHire Career Center)" in page
    assert "Un programa del Departamento de Servicios de Empleo MassHire." in page


def test_the_privacy_notice_gives_the_retention_period_of_the_program_file(app, client):
    with app.app_context():
        assert current_program().retention_days == 1095
    page = client.get("/en/privacy").get_data(as_text=True)
    assert "We delete your data 3 years after your request ends" in page
    assert "Coursera gets your name, email address, language and reference code" in page
    assert "Borramos sus datos 3 años después" in client.get("/es/privacy").get_data(as_text=True)


def test_the_help_address_never_breaks_at_its_hyphen(client):
    """The address is a link the stylesheet moves to the next line whole (a[href^="mailto:"])."""
    page = client.get("/en/help").get_data(as_text=True)
    assert '<a class="usa-link" href="mailto:training-help@labor.example.gov">training-help@labor.example.gov</a>' \
        in page
    assert '<a class="usa-link portal-nowrap" href="tel:+15185550142">518-555-0142</a>' in page


# --- The questions --------------------------------------------------------------------------

def test_people_not_working_are_not_asked_about_a_layoff_notice(app, client):
    data = {**FORM_DATA, "employment_status": "laid_off"}
    del data["layoff_notice"]
    assert post_form(client, "/en/signup", data).status_code == 302
    with app.app_context():
        assert SignupRequest.query.one().layoff_notice is False


def test_an_answer_to_the_layoff_question_is_ignored_unless_the_person_works(app, client):
    """Chosen, then hidden again when the person picked another answer: it decides nothing."""
    post_form(client, "/en/signup", {**FORM_DATA, "employment_status": "unemployed", "layoff_notice": "yes"})
    with app.app_context():
        assert SignupRequest.query.one().layoff_notice is False


@pytest.mark.parametrize("status", ["employed", "underemployed"])
def test_people_working_must_say_whether_they_have_a_layoff_notice(app, client, status):
    data = {**FORM_DATA, "employment_status": status}
    del data["layoff_notice"]
    page = post_form(client, "/en/signup", data).get_data(as_text=True)
    assert 'href="#layoff_notice-0">Tell us if you have a layoff notice</a>' in page
    assert post_form(client, "/en/signup", {**data, "layoff_notice": "yes"}).status_code == 302


def test_the_layoff_question_is_marked_to_show_only_after_a_working_answer(client):
    page = client.get("/en/signup").get_data(as_text=True)
    marked = set(re.findall(r'class="[^"]*portal-working-answer[^"]*"[^>]*value="(\w+)"|'
                            r'value="(\w+)"[^>]*class="[^"]*portal-working-answer', page))
    assert {value for pair in marked for value in pair if value} == {"employed", "underemployed"}
    assert 'usa-form-group portal-if-working' in page


def test_the_covid_question_is_optional_and_says_why_it_is_asked(app, client):
    data = {key: value for key, value in FORM_DATA.items() if key != "covid_related"}
    assert post_form(client, "/en/signup", data).status_code == 302
    with app.app_context():
        assert SignupRequest.query.one().covid_related == "unanswered"
    page = client.get("/en/signup").get_data(as_text=True)
    assert "Did you lose work because of COVID-19? (optional)" in page
    assert "Your answer does not change what you get." in page
    bad = post_form(client, "/en/signup", {**FORM_DATA, "email": "other@example.com", "covid_related": "maybe"})
    assert bad.status_code == 400


def test_every_question_says_why_it_is_asked(client):
    page = client.get("/es/signup").get_data(as_text=True)
    for field in ("email", "phone", "zip_code", "employment_status", "layoff_notice", "agency_staff", "case_id",
                  "covid_related"):
        assert f'id="{field}-hint"' in page, field


# --- What the answer page promises ------------------------------------------------------------

def test_with_no_spot_left_the_answer_page_does_not_promise_minutes(app, client):
    with app.app_context():
        program = current_program()
        db.session.add(SeatPool(program=program.code, seats_taken=program.seat_cap))
        db.session.commit()
    page = post_form(client, "/en/signup", FORM_DATA, follow_redirects=True).get_data(as_text=True)
    assert "All spots are taken right now. We will put you on the waiting list" in page
    assert "within minutes" not in page


# --- The status page: its own title for each result, and a late request admitted -----------------

def _status_page(client, signup) -> str:
    return post_form(client, "/en/status", {"reference_code": signup.reference_code, "email": signup.email}
                     ).get_data(as_text=True)


def _title(page: str) -> str:
    return re.search(r"<title>(.*?) – ", page).group(1)


def test_a_request_past_the_promise_is_admitted_late_and_says_what_happens_now(app, app_context, client):
    app.config["ACTIVATION_SLA_HOURS"] = 48
    fresh = make_signup(email="fresh@example.com", employment_status="return_to_work_date")
    late = make_signup(email="late@example.com", employment_status="return_to_work_date", age=timedelta(hours=49))
    assert _title(_status_page(client, fresh)) == "A staff member is checking your request"
    page = _status_page(client, late)
    assert _title(page) == "Your request is taking longer than we promised"
    assert "We promised an answer within 48 hours, and it is late." in page
    assert "You do not need to sign up again." in page
    assert "within 48 hours of your sign-up" not in page


def test_each_result_has_its_own_title(app, app_context, client):
    from portal.activation import activate_request, remove_license

    titles = set()
    invited = make_signup(email="invited@example.com")
    activate_request(invited.id)
    titles.add(_title(_status_page(client, invited)))
    denied = make_signup(email="denied@example.com", agency_staff="yes")
    titles.add(_title(_status_page(client, denied)))
    waiting = make_signup(email="review@example.com", employment_status="return_to_work_date")
    titles.add(_title(_status_page(client, waiting)))
    removed = make_signup(email="removed@example.com")
    activate_request(removed.id)
    remove_license(removed.id, reason="inactive", actor="test")
    titles.add(_title(_status_page(client, removed)))
    titles.add(_title(client.get("/en/status").get_data(as_text=True)))
    missing = post_form(client, "/en/status", {"reference_code": "AAAA-AAAA", "email": "x@example.com"})
    titles.add(_title(missing.get_data(as_text=True)))
    assert titles == {"Your invitation is ready", "You cannot get free courses right now",
                      "A staff member is checking your request", "Your free access has ended", "Check your request",
                      "We could not find that request"}
