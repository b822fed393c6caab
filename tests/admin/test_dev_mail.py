"""The development mail viewer: only in development, and only for administrators.

Before, with MAIL_SERVER unset on an otherwise production-like setup, help-desk staff read the live
join links of 36 applicants at /admin/dev/mail.
"""

import mailbox
from email.message import EmailMessage

import pytest

from portal import create_app
from portal.models import StaffRole
from tests.conftest import PRODUCTION_SETTINGS, csrf_token
from tests.factories import make_staff, sign_in

ADMIN = "admin@agency.example.gov"
HELPDESK = "helpdesk@agency.example.gov"


@pytest.fixture
def staff(app):
    with app.app_context():
        make_staff(ADMIN, role=StaffRole.ADMIN)
        make_staff(HELPDESK, role=StaffRole.HELPDESK)


def test_production_has_no_mail_viewer_even_for_administrators(app, client, staff):
    sign_in(client, ADMIN)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/dev/mail").status_code == 404


def test_development_shows_caught_mail_to_administrators_only(app, staff, tmp_path):
    sink = mailbox.Maildir(tmp_path / "maildir", create=True)
    message = EmailMessage()
    message["To"], message["Subject"] = "rosa@example.com", "Your free access to Coursera is ready"
    message.set_content("Join: https://portal.test/en/join/a-live-token")
    sink.add(message)
    development = create_app({
        **PRODUCTION_SETTINGS, "PORTAL_ENV": "development", "MAIL_SINK_DIR": str(tmp_path / "maildir"),
        **{key: app.config[key] for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "REDIS_URL")},
    })
    client = development.test_client()

    assert client.get("/admin/dev/mail").headers["Location"].startswith("/admin/login")
    sign_in(client, HELPDESK)
    assert client.get("/admin/dev/mail").status_code == 403
    client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    sign_in(client, ADMIN)
    page = client.get("/admin/dev/mail")
    assert page.status_code == 200
    assert "a-live-token" in page.get_data(as_text=True)
