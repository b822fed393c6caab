from datetime import timedelta

import pytest

from portal.activation import activate_request
from portal.extensions import db
from portal.models import StaffRole
from portal.outbox import queue_email
from tests.conftest import csrf_token, post_form
from tests.factories import make_invited_signup, make_signup, make_staff, sign_in

ADMIN_PAGES = ["/admin/", "/admin/requests/ABCD-2345"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_pages_need_a_signed_in_staff_member(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")


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
    assert client.get("/admin/").status_code == 200
    assert "Sign out" in client.get("/admin/").get_data(as_text=True)
    client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert client.get("/admin/").status_code == 302


def test_sign_in_never_redirects_off_site(app, client):
    with app.app_context():
        make_staff()
    response = post_form(client, "/admin/login?next=//evil.example/", {
        "email": "helpdesk@agency.example.gov", "password": "correct horse battery staple"})
    assert response.headers["Location"] == "/admin/"


def test_backdated_request_is_stale_until_invited(app, client):
    with app.app_context():
        make_staff()
        old = make_signup(age=timedelta(hours=49), email="old@example.com", first_name="Olga")
        fresh = make_signup(age=timedelta(hours=2), email="fresh@example.com", first_name="Fredo")
        old_code, fresh_code, old_id = old.reference_code, fresh.reference_code, old.id
    sign_in(client)
    page = client.get("/admin/").get_data(as_text=True)
    stale_section, pending_section = page.split("<h2>Pending</h2>")
    assert old_code in stale_section and fresh_code not in stale_section
    assert fresh_code in pending_section
    assert "2 days" in stale_section  # its age, in words

    with app.app_context():
        activate_request(old_id)
    page = client.get("/admin/").get_data(as_text=True)
    assert old_code not in page
    assert fresh_code in page


def test_stale_list_shows_newest_problems_first_and_failed_ones(app, client):
    with app.app_context():
        make_staff()
        older = make_signup(age=timedelta(hours=80), email="a@example.com").reference_code
        newer = make_signup(age=timedelta(hours=50), email="b@example.com").reference_code
    sign_in(client)
    page = client.get("/admin/").get_data(as_text=True)
    assert page.index(newer) < page.index(older)


def test_search_finds_a_caller_by_reference_email_or_name(app, client):
    with app.app_context():
        make_staff()
        code = make_signup(email="caller@example.com", first_name="Rosa", last_name="Parra").reference_code
        make_signup(email="other@example.com", first_name="Pat")
    sign_in(client)
    for term in (code.lower(), "caller@", "rosa parra"):
        page = client.get("/admin/", query_string={"q": term}).get_data(as_text=True)
        assert code in page and "other@example.com" not in page, term


def test_request_page_shows_its_history(app, client):
    with app.app_context():
        make_staff()
        code = make_signup().reference_code
    sign_in(client)
    page = client.get(f"/admin/requests/{code}").get_data(as_text=True)
    assert "eligibility rules" in page and "confirmation: pending" in page


def test_a_reminder_the_relay_refused_is_listed_for_staff_with_its_answer(app, client, smtp, run_jobs):

    with app.app_context():
        make_staff()
        signup = make_invited_signup(email="gone@example.com")
        run_jobs()
        smtp.refuse_next("550 5.1.1 Mailbox gone")
        queue_email(signup, "reminder_not_accepted", occasion="day3")
        db.session.commit()
        run_jobs()
        reference = signup.reference_code
        db.session.refresh(signup)
        assert signup.state == "invited"  # a refused reminder does not undo the invitation
    sign_in(client)
    page = client.get("/admin/").get_data(as_text=True)
    section = page[page.index("Emails that could not be delivered</h2>"):]
    assert reference in section and "reminder_not_accepted" in section and "550 5.1.1 Mailbox gone" in section
    assert "Emails that could not be delivered: 1" in page
    detail = client.get(f"/admin/requests/{reference}").get_data(as_text=True)
    assert "Holds a seat" in detail and "Join by" in detail
