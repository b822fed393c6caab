from datetime import timedelta

import pytest

from portal.clock import program_today, start_of_local_day
from portal.exports import export_case_report, export_provider_file
from portal.models import StaffRole
from tests.factories import make_invited_signup, make_staff, sign_in

ADMIN = "admin@agency.example.gov"


def make_files() -> tuple[int, str, str]:
    """A provider file and a case report; (provider file id, its name, its content)."""
    day = program_today() - timedelta(days=1)
    make_invited_signup(email="learner@example.com",
                        at=start_of_local_day(day) + timedelta(hours=9), first_name="Zoë", case_id="NY1")
    export_case_report(day - timedelta(days=6), day)
    provider = export_provider_file(day)
    return provider.file_id, provider.filename, provider.content


def test_an_administrator_lists_and_downloads_the_files(app, client):
    with app.app_context():
        make_staff(ADMIN, role=StaffRole.ADMIN)
        file_id, filename, content = make_files()
    sign_in(client, ADMIN)

    page = client.get("/admin/exports")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<caption>Files made, newest first</caption>" in html
    assert f'href="/admin/exports/{file_id}"' in html
    assert html.index(filename) < html.index("case-report-ny-")  # newest first
    assert 'href="/admin/exports"' in client.get("/admin/").get_data(as_text=True)  # in the navigation

    download = client.get(f"/admin/exports/{file_id}")

    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == f"attachment; filename={filename}"
    assert download.headers["Cache-Control"] == "no-store"
    assert download.get_data() == content.encode()
    assert "Zoë" in download.get_data(as_text=True)
    assert client.get("/admin/exports/999999").status_code == 404


@pytest.mark.parametrize("url", ["/admin/exports", "/admin/exports/1"])
def test_help_desk_staff_may_not_see_the_files(app, client, url):
    with app.app_context():
        make_staff()
        make_files()
    sign_in(client)
    assert client.get(url).status_code == 403
    assert 'href="/admin/exports"' not in client.get("/admin/").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/admin/exports", "/admin/exports/1"])
def test_the_files_need_a_signed_in_staff_member(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")
