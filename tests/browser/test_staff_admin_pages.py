"""The dashboard, staff-account, own-password and audit pages in both languages, at 320, 390 and
1280 px: no sideways scrolling and nothing axe finds (the recipe of test_every_page.py)."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.audit import record_audit
from portal.extensions import db
from portal.models import StaffRole
from tests.browser.test_every_page import LONG_EMAIL, STAFF_EMAIL, _check_form_and_its_errors, _checking_pages
from tests.factories import STAFF_PASSWORD, make_invited_signup, make_signup, make_staff

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["en", "es"])
def test_dashboard_accounts_and_audit_pages_pass_axe(app, live_server, browser, language):
    with app.app_context():
        admin = make_staff(STAFF_EMAIL, StaffRole.ADMIN)
        desk = make_staff("capital.region.helpdesk@labor.example.gov")
        desk.areas = ["capital", "new_york_city"]
        signup = make_signup(email=LONG_EMAIL, age=timedelta(days=3))
        make_invited_signup(email="ana.sofia.martinez-villalobos@correo-example.com")
        record_audit("email_corrected", actor="staff", staff=admin, signup=signup,
                     before={"email": "old@example.com", "state": "failed"}, after={"email": LONG_EMAIL},
                     reason="The applicant spelled it out on the phone")
        db.session.commit()
        desk_id = desk.id

    with _checking_pages(browser, language, f"{language}-staff-admin") as (page, check):
        page.goto(f"{live_server}/admin/login")
        page.fill("#email", STAFF_EMAIL)
        page.fill("#password", STAFF_PASSWORD)
        page.locator("main button[type=submit]").click()
        page.goto(f"{live_server}/admin/dashboard")
        expect(page.locator("svg[role=img]")).to_be_visible()
        check("dashboard")
        page.locator("details.portal-chart-table summary").click()
        check("dashboard-table-open")
        page.goto(f"{live_server}/admin/staff")
        check("staff-accounts")
        _check_form_and_its_errors(page, check, f"{live_server}/admin/staff/new", "staff-new")
        page.goto(f"{live_server}/admin/staff/{desk_id}")
        check("staff-account")
        page.goto(f"{live_server}/admin/staff/{desk_id}/password")
        check("staff-password-reset")
        _check_form_and_its_errors(page, check, f"{live_server}/admin/account/password", "own-password")
        page.goto(f"{live_server}/admin/audit")
        expect(page.locator("main table")).to_contain_text("email corrected")
        check("audit")
