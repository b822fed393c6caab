"""The help desk's home, work queues, search and lists: every request findable, every row once."""

import html
import re
from datetime import timedelta

import pytest

from portal.activation import activate_request
from portal.extensions import db
from portal.models import StaffRole
from tests.admin.helpdesk import held_for_review, refused_reminder
from tests.conftest import csrf_token, post_form
from tests.factories import make_signup, make_staff, sign_in


def page_of(client, url: str, **query) -> str:
    response = client.get(url, query_string=query or None)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def test_admin_pages_need_a_signed_in_staff_member(client):
    for url in ("/admin/", "/admin/requests/ABCD-2345", "/admin/queues/stale", "/admin/requests"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login?next="), url


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(app, client):
    with app.app_context():
        make_staff()
    response = sign_in(client, password="wrong")
    assert response.status_code == 401
    assert "do not match an account" in response.get_data(as_text=True)
    assert sign_in(client, email="nobody@agency.example.gov").status_code == 401
    assert client.get("/admin/").status_code == 302


def test_sign_in_and_out(app, client):
    with app.app_context():
        make_staff(role=StaffRole.ADMIN)
    response = sign_in(client)
    assert response.headers["Location"] == "/admin/"
    assert "Sign out" in client.get("/admin/").get_data(as_text=True)
    client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert client.get("/admin/").status_code == 302


def test_sign_in_never_redirects_off_site(app, client):
    with app.app_context():
        make_staff()
    response = post_form(client, "/admin/login?next=//evil.example/", {
        "email": "helpdesk@agency.example.gov", "password": "correct horse battery staple"})
    assert response.headers["Location"] == "/admin/"


def test_the_home_page_counts_each_work_queue(client, staff, smtp, run_jobs):
    held_for_review(email="held@example.com")
    make_signup(age=timedelta(hours=49), email="old@example.com")
    make_signup(age=timedelta(hours=2), email="fresh@example.com")
    page = page_of(client, "/admin/")
    for title, count in [("Needs review", "1 request"), ("Stale", "1 request"), ("Pending", "1 request"),
                         ("Waitlisted", "0 requests"), ("Failed emails", "0 emails"), ("Stuck sends", "0 emails")]:
        section = page[page.index(f">{title}</a>"):]
        assert count in section[:400], title


def test_counts_past_the_limit_say_more_than_and_paging_still_reaches_every_row(client, staff, app):
    app.config.update(ADMIN_COUNT_LIMIT=3, ADMIN_PAGE_SIZE=2)
    codes = [make_signup(age=timedelta(hours=60 + number), email=f"many{number}@example.com").reference_code
             for number in range(5)]
    make_signup(age=timedelta(hours=49), email="three@example.com")  # stale: 6, pending: 0
    home = page_of(client, "/admin/")
    assert "More than 3 requests" in home[home.index(">Stale</a>"):][:400]
    assert "0 requests" in home[home.index(">Pending</a>"):][:400]
    page = page_of(client, "/admin/queues/stale")
    assert "Showing 1 to 2 of more than 3" in page
    seen = []
    while True:
        seen += re.findall(r'/admin/requests/([0-9A-Z]{4}-[0-9A-Z]{4})"', page)
        found = re.search(r'href="([^"]*after=[^"]*)">Next page', page)
        if not found:
            break
        page = page_of(client, html.unescape(found.group(1)))
    assert set(codes) < set(seen) and len(seen) == 6


def test_a_backdated_request_is_stale_until_invited_and_stale_is_oldest_first(client, staff):
    older = make_signup(age=timedelta(hours=80), email="a@example.com")
    newer = make_signup(age=timedelta(hours=50), email="b@example.com")
    fresh = make_signup(age=timedelta(hours=2), email="c@example.com")
    stale = page_of(client, "/admin/queues/stale")
    assert stale.index(older.reference_code) < stale.index(newer.reference_code)
    assert fresh.reference_code not in stale and "3 days ago" in stale
    assert fresh.reference_code in page_of(client, "/admin/queues/pending")
    activate_request(older.id)
    assert older.reference_code not in page_of(client, "/admin/queues/stale")


def test_a_refused_reminder_is_in_the_failed_emails_queue_with_its_answer(client, staff, smtp, run_jobs):
    signup = refused_reminder(smtp, run_jobs, "gone@example.com", "550 5.1.1 Mailbox gone")
    page = page_of(client, "/admin/queues/failed-emails")
    assert signup.reference_code in page and "Reminder: invitation not accepted" in page
    assert "550 5.1.1 Mailbox gone" in page and "Showing 1 to 1 of 1" in page


def test_the_needs_review_queue_is_oldest_first_and_filters(client, staff):
    first = held_for_review(email="first@example.com", preferred_language="es")
    second = held_for_review(email="second@example.com")
    page = page_of(client, "/admin/queues/needs-review")
    assert page.index(first.reference_code) < page.index(second.reference_code)
    spanish = page_of(client, "/admin/queues/needs-review", language="es")
    assert first.reference_code in spanish and second.reference_code not in spanish
    assert client.get("/admin/queues/nothing").status_code == 404


@pytest.mark.parametrize("term", [
    "{code}", "{code_lower}", "{code_spaced}", "{code_with_o}",
    "ROSA.SALDANA@", "saldana", "Saldaña", "rosa   saldana", "maria jose hernandez", "hernández núñez",
    "(518) 555-0199", "+1 518 555 0199", "5185550199", "ab-1234",
])
def test_search_finds_a_caller_in_any_state_by_every_key(client, staff, term):
    signup = make_signup(email="rosa.saldana@example.com", first_name="María José Rosa",
                         last_name="Saldaña Hernández Núñez", case_id="AB-1234")
    signup.phone = "+15185550199"
    activate_request(signup.id)  # invited: no longer pending, still found
    make_signup(email="other@example.com", first_name="Hernan", last_name="Dez")
    db.session.commit()
    code = signup.reference_code
    term = term.format(code=code, code_lower=code.lower(), code_spaced=" ".join(code.replace("-", "")),
                       code_with_o=code.replace("0", "O"))
    response = client.get("/admin/requests", query_string={"q": term})
    if response.status_code == 302:  # an exact code opens the request
        assert response.headers["Location"].endswith(f"/admin/requests/{code}")
        return
    page = response.get_data(as_text=True)
    assert code in page and "other@example.com" not in page, term


def test_an_exact_code_opens_the_request_and_a_miss_says_so(client, staff):
    signup = make_signup()
    response = client.get("/admin/requests", query_string={"q": signup.reference_code.lower()})
    assert response.headers["Location"] == f"/admin/requests/{signup.reference_code}"
    page = page_of(client, "/admin/requests", q="nobody-like-this")
    assert "No request matches" in page


def test_paging_returns_every_row_exactly_once_while_new_sign_ups_arrive(client, staff, app):
    app.config["ADMIN_PAGE_SIZE"] = 7
    original = [make_signup(age=timedelta(hours=100 - number), email=f"p{number}@example.com").reference_code
                for number in range(30)]
    for list_number, url in enumerate(("/admin/queues/stale", "/admin/requests")):
        seen, next_url, arrivals = [], url, 0
        while next_url:
            page = page_of(client, next_url)
            seen += re.findall(r'/admin/requests/([0-9A-Z]{4}-[0-9A-Z]{4})"', page)
            arrivals += 1  # a sign-up arrives between pages, older than some rows already read
            make_signup(age=timedelta(hours=60), email=f"late{arrivals}-{list_number}@example.com")
            found = re.search(r'href="([^"]*after=[^"]*)">Next page', page)
            next_url = html.unescape(found.group(1)) if found else None
        assert set(original) <= set(seen), url
        assert len(seen) == len(set(seen)), url  # never twice


def test_filters_by_area_language_date_and_who_entered_it(client, staff):
    capital = make_signup(email="albany@example.com", zip_code="12207")
    city = make_signup(email="bronx@example.com", zip_code="10451", preferred_language="es")
    assert capital.local_area == "capital" and city.local_area == "new_york_city"
    page = page_of(client, "/admin/requests", area="capital")
    assert capital.reference_code in page and city.reference_code not in page
    page = page_of(client, "/admin/requests", language="es")
    assert city.reference_code in page and capital.reference_code not in page
    page = page_of(client, "/admin/requests", entered_by="staff")
    assert capital.reference_code not in page and city.reference_code not in page
    tomorrow = (capital.created_at + timedelta(days=2)).date().isoformat()
    assert capital.reference_code not in page_of(client, "/admin/requests", signed_up_from=tomorrow)
    page = page_of(client, "/admin/requests", signed_up_from=tomorrow, signed_up_to="2020-01-01")
    assert "The end date must be the same as or after the start date" in page


def test_area_limited_staff_see_only_their_areas(app, client):
    with app.app_context():
        member = make_staff("albany@agency.example.gov")
        member.areas = ["capital"]
        db.session.commit()
        capital = make_signup(email="albany@example.com", zip_code="12207").reference_code
        city = make_signup(email="bronx@example.com", zip_code="10451").reference_code
    sign_in(client, email="albany@agency.example.gov")
    page = page_of(client, "/admin/requests")
    assert capital in page and city not in page
    assert client.get(f"/admin/requests/{city}").status_code == 404
    assert client.get("/admin/requests", query_string={"q": city}).status_code == 200  # no redirect to it
    assert "New York City" not in page_of(client, "/admin/requests")  # not even offered as a filter


def test_the_request_page_speaks_staff_words(client, staff):
    signup = make_signup(email="words@example.com", preferred_language="es")
    page = page_of(client, f"/admin/requests/{signup.reference_code}")
    assert "The person said they are out of work: the rules approve." in page
    assert "Waits for the activation job" in page
    assert "Spanish" in page and "Capital Region" in page
    assert "EST" in page or "EDT" in page  # times with their zone
    assert "Confirmation of the request" in page  # emails by name, in the timeline
    assert "eligibility rules: out_of_work" not in page  # not the raw history
