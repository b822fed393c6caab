"""Staff accounts (administrators only) and one's own password: each change writes an audit row
(never a password), and disabling an account ends its sessions at once."""

import re

import pytest

from portal.extensions import db
from portal.models import AuditEvent, StaffRole, StaffUser
from portal.staff import authenticate
from tests.conftest import csrf_token, post_form
from tests.factories import STAFF_PASSWORD, make_staff, sign_in

ADMIN = "admin@agency.example.gov"
DESK = "helpdesk@agency.example.gov"
NEW_PASSWORD = "purple elephant dances quietly"
ADMIN_ONLY_PAGES = ["/admin/staff", "/admin/staff/new", "/admin/staff/1", "/admin/staff/1/password", "/admin/audit"]


def _audit_rows(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


def _no_password_in_any_audit_row(*passwords: str) -> None:
    for event in db.session.scalars(db.select(AuditEvent)):
        text = f"{event.before} {event.after} {event.reason}"
        for password in passwords:
            assert password not in text
        assert "argon2" not in text


def _ticked(page: str, name: str, value: str) -> bool:
    return re.search(rf'<input checked[^>]* name="{name}"[^>]* value="{value}">', page) is not None


def _press(client, page_url: str, button_url: str):
    """Press a button of the page at `page_url` (a form of its own, posting to `button_url`)."""
    return client.post(button_url, data={"csrf_token": csrf_token(client, page_url)})


@pytest.fixture
def admin_client(app, client):
    with app.app_context():
        make_staff(ADMIN, StaffRole.ADMIN)
        make_staff(DESK)
    assert sign_in(client, ADMIN).status_code == 302
    return client


@pytest.mark.parametrize("url", ADMIN_ONLY_PAGES)
def test_help_desk_staff_get_403_on_account_pages(app, client, url):
    with app.app_context():
        make_staff()
    sign_in(client)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", ADMIN_ONLY_PAGES + ["/admin/account/password"])
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")


def test_list_shows_every_account(app, admin_client):
    page = admin_client.get("/admin/staff").get_data(as_text=True)
    assert ADMIN in page and DESK in page and "Every area" in page and "Never" in page  # the desk never signed in


def test_create_an_account_with_areas(app, admin_client):
    response = post_form(admin_client, "/admin/staff/new", {
        "email": "Capital.Desk@Agency.example.gov", "role": "helpdesk", "areas": ["capital", "western"],
        "password": NEW_PASSWORD})
    assert response.status_code == 303
    with app.app_context():
        staff = db.session.scalar(db.select(StaffUser).where(StaffUser.email == "capital.desk@agency.example.gov"))
        assert staff.role == "helpdesk" and staff.areas == ["capital", "western"]
        assert authenticate("capital.desk@agency.example.gov", NEW_PASSWORD) is not None
        [row] = _audit_rows("staff_account_created")
        assert row.staff.email == ADMIN and row.actor == "staff"
        assert row.after == {"account_id": staff.id, "account_email": "capital.desk@agency.example.gov",
                             "role": "helpdesk", "areas": ["capital", "western"], "is_enabled": True}
        _no_password_in_any_audit_row(NEW_PASSWORD)
    page = admin_client.get("/admin/staff").get_data(as_text=True)
    assert "Capital Region, Western New York" in page


def test_a_refused_account_keeps_what_was_typed_but_the_password(app, admin_client):
    response = post_form(admin_client, "/admin/staff/new", {
        "email": "new.desk@agency.example.gov", "role": "helpdesk", "areas": ["capital"], "password": "short"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and 'href="#password"' in page and "Use at least 12 characters" in page
    assert 'value="new.desk@agency.example.gov"' in page
    assert _ticked(page, "areas", "capital") and _ticked(page, "role", "helpdesk")
    assert not _ticked(page, "areas", "western")
    assert 'value="short"' not in page
    duplicate = post_form(admin_client, "/admin/staff/new", {"email": DESK, "role": "helpdesk",
                                                             "password": NEW_PASSWORD})
    assert duplicate.status_code == 422 and "already an account" in duplicate.get_data(as_text=True)
    missing = post_form(admin_client, "/admin/staff/new", {})
    assert missing.status_code == 422
    assert {"Enter the email address", "Choose a role", "Enter the new password"} <= set(
        error for error in ("Enter the email address", "Choose a role", "Enter the new password")
        if error in missing.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(StaffUser)) == 2
        assert _audit_rows("staff_account_created") == []


def _desk_id(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(StaffUser.id).where(StaffUser.email == DESK))


def test_disabling_ends_the_accounts_sessions_at_once(app, admin_client):
    desk_client = app.test_client()
    sign_in(desk_client, DESK)
    assert desk_client.get("/admin/").status_code == 200
    desk_id = _desk_id(app)
    url = f"/admin/staff/{desk_id}"
    response = _press(admin_client, url, f"{url}/enabled")
    assert response.status_code == 303
    assert desk_client.get("/admin/").status_code == 302  # signed out, mid-session
    assert sign_in(desk_client, DESK).status_code == 401
    with app.app_context():
        [row] = _audit_rows("staff_account_disabled")
        assert row.before["is_enabled"] is True and row.after["is_enabled"] is False
        assert row.after["account_email"] == DESK
    assert "No: disabled" in admin_client.get("/admin/staff").get_data(as_text=True)

    _press(admin_client, url, f"{url}/enabled")  # the same button enables it again
    assert sign_in(desk_client, DESK).status_code == 302
    with app.app_context():
        assert len(_audit_rows("staff_account_enabled")) == 1


def test_an_admin_cannot_disable_or_demote_themself(app, admin_client):
    with app.app_context():
        admin_id = db.session.scalar(db.select(StaffUser.id).where(StaffUser.email == ADMIN))
    page = admin_client.get(f"/admin/staff/{admin_id}").get_data(as_text=True)
    assert "Disable this account" not in page
    response = _press(admin_client, f"/admin/staff/{admin_id}", f"/admin/staff/{admin_id}/enabled")
    assert response.status_code == 303
    assert "cannot disable your own account" in admin_client.get(f"/admin/staff/{admin_id}").get_data(as_text=True)
    demote = post_form(admin_client, f"/admin/staff/{admin_id}", {"role": "helpdesk"})
    assert demote.status_code == 422 and "cannot change your own role" in demote.get_data(as_text=True)
    with app.app_context():
        admin = db.session.get(StaffUser, admin_id)
        assert admin.is_enabled and admin.role == "admin"
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == 0
    assert admin_client.get("/admin/staff").status_code == 200  # still signed in, still an administrator


def test_set_role_and_areas(app, admin_client):
    desk_client = app.test_client()
    sign_in(desk_client, DESK)
    desk_id = _desk_id(app)
    response = post_form(admin_client, f"/admin/staff/{desk_id}", {"role": "helpdesk", "areas": ["capital"]})
    assert response.status_code == 303
    assert desk_client.get("/admin/").status_code == 302  # what it may see changed: signed in again
    with app.app_context():
        assert db.session.get(StaffUser, desk_id).areas == ["capital"]
        [row] = _audit_rows("staff_role_and_areas_changed")
        assert (row.before["areas"], row.after["areas"]) == ([], ["capital"])
    page = admin_client.get(f"/admin/staff/{desk_id}").get_data(as_text=True)
    assert _ticked(page, "areas", "capital") and not _ticked(page, "areas", "central")

    post_form(admin_client, f"/admin/staff/{desk_id}", {"role": "helpdesk"})  # every box unticked: every area
    post_form(admin_client, f"/admin/staff/{desk_id}", {"role": "admin", "areas": ["western"]})
    with app.app_context():
        desk = db.session.get(StaffUser, desk_id)
        assert desk.role == "admin" and desk.areas == []  # administrators see every area
        rows = _audit_rows("staff_role_and_areas_changed")
        assert [(row.before["role"], row.after["role"], row.after["areas"]) for row in rows] == [
            ("helpdesk", "helpdesk", ["capital"]), ("helpdesk", "helpdesk", []), ("helpdesk", "admin", [])]
    unchanged = post_form(admin_client, f"/admin/staff/{desk_id}", {"role": "admin"})
    assert unchanged.status_code == 303
    with app.app_context():
        assert len(_audit_rows("staff_role_and_areas_changed")) == 3  # nothing changed: no row


def test_unknown_area_is_refused(app, admin_client):
    desk_id = _desk_id(app)
    response = post_form(admin_client, f"/admin/staff/{desk_id}", {"role": "helpdesk", "areas": ["atlantis"]})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(StaffUser, desk_id).areas == []


def test_reset_a_password(app, admin_client):
    desk_client = app.test_client()
    sign_in(desk_client, DESK)
    desk_id = _desk_id(app)
    weak = post_form(admin_client, f"/admin/staff/{desk_id}/password", {"password": "password1234"})
    assert weak.status_code == 422 and "most common passwords" in weak.get_data(as_text=True)
    response = post_form(admin_client, f"/admin/staff/{desk_id}/password", {"password": NEW_PASSWORD})
    assert response.status_code == 303
    assert desk_client.get("/admin/").status_code == 302
    assert sign_in(desk_client, DESK).status_code == 401
    assert sign_in(desk_client, DESK, NEW_PASSWORD).status_code == 302
    with app.app_context():
        [row] = _audit_rows("staff_password_reset")
        assert row.staff.email == ADMIN and row.after == {"account_id": desk_id, "account_email": DESK}
        _no_password_in_any_audit_row(NEW_PASSWORD, STAFF_PASSWORD, "password1234")


def test_change_own_password(app, client):
    with app.app_context():
        make_staff()
    sign_in(client)
    other_device = app.test_client()
    sign_in(other_device)
    wrong = post_form(client, "/admin/account/password", {
        "current_password": "not it at all", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert wrong.status_code == 422 and "current password is not right" in wrong.get_data(as_text=True)
    mismatch = post_form(client, "/admin/account/password", {
        "current_password": STAFF_PASSWORD, "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 422 and "not the same" in mismatch.get_data(as_text=True)
    assert NEW_PASSWORD not in mismatch.get_data(as_text=True)

    response = post_form(client, "/admin/account/password", {
        "current_password": STAFF_PASSWORD, "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 303
    assert client.get("/admin/").status_code == 200  # this session goes on
    assert other_device.get("/admin/").status_code == 302  # every other one ended
    assert sign_in(other_device, DESK, NEW_PASSWORD).status_code == 302
    with app.app_context():
        [row] = _audit_rows("staff_password_changed")
        assert row.staff.email == DESK and row.after["account_email"] == DESK
        _no_password_in_any_audit_row(NEW_PASSWORD, STAFF_PASSWORD)


def test_account_pages_in_spanish(app, admin_client):
    desk_id = _desk_id(app)
    for url in ("/admin/staff", "/admin/staff/new", f"/admin/staff/{desk_id}", f"/admin/staff/{desk_id}/password",
                "/admin/account/password"):
        response = admin_client.get(url, headers={"Accept-Language": "es"})
        assert response.status_code == 200 and '<html lang="es">' in response.get_data(as_text=True)


def test_a_post_without_its_csrf_token_changes_nothing(app, admin_client):
    desk_id = _desk_id(app)
    response = admin_client.post(f"/admin/staff/{desk_id}/enabled")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(StaffUser, desk_id).is_enabled
