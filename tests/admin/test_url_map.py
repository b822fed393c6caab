"""Every staff route, found by walking Flask's URL map, refuses who it must: anonymous visitors
everywhere, help-desk staff on the administrators' pages, and area-limited staff on a request of
another area (404, as if it did not exist). A new route cannot slip through: it must be in one of
the lists below, or this test fails."""

from urllib.parse import urlsplit

import pytest

from portal.extensions import db
from portal.models import SignupRequest, StaffRole
from tests.factories import STAFF_PASSWORD, make_signup, make_staff

#: Staff pages any signed-in staff member may use (everything else under /admin/ is admin-only).
HELPDESK_ENDPOINTS = {
    "admin.queue", "admin.work_queue", "admin.search", "admin.request_detail", "admin.request_action",
    "admin.email_action", "admin.new_signup", "admin.dashboard", "admin.own_password", "admin.logout",
}
#: Open to anyone: signing in.
PUBLIC_ENDPOINTS = {"admin.login"}


@pytest.fixture
def app_settings():
    return {"WTF_CSRF_ENABLED": False}  # the refusal must come from the access rules, not the token


def sign_in(client, email: str = "helpdesk@agency.example.gov") -> None:
    response = client.post("/admin/login", data={"email": email, "password": STAFF_PASSWORD})
    assert response.status_code == 302


def staff_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/admin") and rule.endpoint not in PUBLIC_ENDPOINTS]


def calls(app, rule, code: str, email_id: int):
    """Each method of a rule, with a URL that names a real request."""
    values = {"reference_code": code, "slug": "stale", "email_id": email_id, "file_id": 1, "staff_id": 1,
              "action_name": "approve", "instance_number": 0, "queue_name": "portal", "registry_name": "failed",
              "job_id": "activate-1", "per_page": 10, "order": "asc", "page": 1, "filename": "main.css"}
    url = rule.rule
    for argument in rule.arguments:
        url = url.replace(f"<{argument}>", str(values[argument]))
        for converter in ("int", "string", "path"):
            url = url.replace(f"<{converter}:{argument}>", str(values[argument]))
    return [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def open_url(client, method: str, url: str):
    """The answer to `url`, after the router's own 308 to the canonical form of a route that has
    several (rq-dashboard's): the access rules answer on the canonical one."""
    response = client.open(url, method=method)
    canonical = urlsplit(response.headers.get("Location", "")).path
    if response.status_code == 308 and canonical.startswith("/admin/"):
        response = client.open(canonical, method=method)
    return response


def is_admin_only(app, rule) -> bool:
    return getattr(app.view_functions[rule.endpoint], "admin_only", False)


def test_every_staff_route_is_classified(app):
    for rule in staff_rules(app):
        assert rule.endpoint in HELPDESK_ENDPOINTS or is_admin_only(app, rule), (
            f"{rule.rule} ({rule.endpoint}) is neither admin-only nor listed as a help-desk page")


def test_anonymous_visitors_are_sent_to_sign_in_everywhere(app, client):
    with app.app_context():
        signup = make_signup()
        code, email_id = signup.reference_code, signup.emails[0].id
    for rule in staff_rules(app):
        for method, url in calls(app, rule, code, email_id):
            response = open_url(client, method, url)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/admin/login"), (method, url)


def test_help_desk_staff_are_refused_the_administrators_pages(app, client):
    with app.app_context():
        make_staff(role=StaffRole.HELPDESK)
        signup = make_signup()
        code, email_id = signup.reference_code, signup.emails[0].id
    sign_in(client)
    admin_only = [rule for rule in staff_rules(app) if is_admin_only(app, rule)]
    assert admin_only, "the export pages at least are admin-only"
    for rule in admin_only:
        for method, url in calls(app, rule, code, email_id):
            assert open_url(client, method, url).status_code == 403, (method, url)


def test_area_limited_staff_get_404_for_a_request_of_another_area(app, client):
    with app.app_context():
        member = make_staff("albany@agency.example.gov")
        member.areas = ["capital"]
        db.session.commit()
        other = make_signup(email="bronx@example.com", zip_code="10451")
        code, email_id, other_id = other.reference_code, other.emails[0].id, other.id
    sign_in(client, email="albany@agency.example.gov")
    naming_a_request = [rule for rule in staff_rules(app) if "reference_code" in rule.arguments]
    assert len(naming_a_request) >= 3
    for rule in naming_a_request:
        for method, url in calls(app, rule, code, email_id):
            assert client.open(url, method=method).status_code == 404, (method, url)
    with app.app_context():
        other = db.session.get(SignupRequest, other_id)
        assert other.state == "approved" and len(other.events) == 2  # nothing acted on it
