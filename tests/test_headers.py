"""Security headers on every response of every route in Flask's URL map, signed in or not.

Before, the portal sent none: no CSP, HSTS, nosniff, frame-ancestors or Referrer-Policy, and the
received, status, join and staff pages could be kept by any cache. (gunicorn's `Server` banner is
checked on a real gunicorn in tests/test_gunicorn.py.)
"""

import re
from pathlib import Path

import pytest

from portal import create_app
from portal.clock import program_today
from portal.exports import export_provider_file
from portal.links import join_token
from portal.models import StaffRole
from tests.conftest import PRODUCTION_SETTINGS, csrf_token, post_form
from tests.factories import STAFF_PASSWORD, make_invited_signup, make_staff

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "admin@agency.example.gov"
ONE_YEAR = 31536000


def route_arguments(app) -> dict[str, str]:
    """A real value for every argument a route takes: a request that exists, a live join link."""
    with app.app_context():
        signup = make_invited_signup(email="rosa@example.com", first_name="Rosa")
        export = export_provider_file(program_today())
        admin = make_staff(ADMIN, role=StaffRole.ADMIN)
        return {"lang_code": "es", "filename": "portal.css", "token": join_token(signup.reference_code),
                "reference_code": signup.reference_code, "file_id": str(export.file_id),
                "action_name": "approve", "email_id": str(signup.emails[0].id) if signup.emails else "1",
                "slug": "stale", "staff_id": str(admin.id),
                # rq-dashboard's (the queue monitor at /admin/rq)
                "instance_number": "0", "job_id": "no-such-job", "queue_name": app.config["RQ_QUEUE"],
                "registry_name": "failed", "per_page": "8", "order": "asc", "page": "1"}


def every_request(app, arguments):
    """(method, url) for every rule and method in the URL map; a new argument name fails loudly."""
    for rule in app.url_map.iter_rules():
        unknown = rule.arguments - arguments.keys()
        assert not unknown, f"{rule.rule}: give tests/test_headers.py a value for {unknown}"
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<(?:\w+:)?{name}>", arguments[name], url)
        for method in sorted(rule.methods):
            yield method, url, rule.endpoint


def check_headers(response, method, url, endpoint, *, hsts: bool) -> list[str]:
    problems = []
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip())
    where = f"{method} {url} ({response.status_code})"
    if directives.get("frame-ancestors") != "'none'":
        problems.append(f"{where}: CSP frame-ancestors is {directives.get('frame-ancestors')!r}")
    # rq-dashboard's pages (/admin/rq, administrators only) carry inline script and style: there only,
    # the policy allows them (not on the URL map's redirects to a route's canonical address, 308).
    monitor = endpoint.startswith("rq_dashboard.") and response.status_code != 308
    expected_sources = {"default-src": "'self'", "script-src": "'self' 'unsafe-inline'" if monitor else "'self'",
                        "style-src": "'self' 'unsafe-inline'" if monitor else "'self'"}
    for directive, sources in expected_sources.items():
        if directives.get(directive) != sources:
            problems.append(f"{where}: CSP {directive} is {directives.get(directive)!r}")
    if "unsafe" in policy and not monitor:
        problems.append(f"{where}: CSP allows unsafe sources: {policy}")
    expected = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
    problems += [f"{where}: {name} is {headers.get(name)!r}" for name, value in expected.items()
                 if headers.get(name) != value]
    hsts_value = headers.get("Strict-Transport-Security", "")
    if hsts and not re.fullmatch(r"max-age=(\d+)", hsts_value or "") or hsts and int(hsts_value[8:]) < ONE_YEAR:
        problems.append(f"{where}: HSTS is {hsts_value!r}")
    if not hsts and hsts_value:
        problems.append(f"{where}: HSTS where it does not belong: {hsts_value!r}")
    if endpoint not in ("static", "favicon") and headers.get("Cache-Control") != "no-store":
        problems.append(f"{where}: Cache-Control is {headers.get('Cache-Control')!r}")
    if "Server" in headers:
        problems.append(f"{where}: Server header {headers['Server']!r}")
    return problems


HTTPS = "https://localhost"


def https_client(app):
    """A client as a browser behind HTTPS (its requests use HTTPS + path): Flask-WTF then checks the
    same-origin Referer, which Referrer-Policy: same-origin still sends."""
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = f"{HTTPS}/"
    return client


def walk(app, client, arguments, *, hsts: bool) -> tuple[list[str], int]:
    problems, count = [], 0
    for method, url, endpoint in every_request(app, arguments):
        data = {"csrf_token": csrf_token(client, f"{HTTPS}/admin/login")} if method == "POST" else None
        response = client.open(HTTPS + url, method=method, data=data)
        problems += check_headers(response, method, url, endpoint, hsts=hsts)
        count += 1
    return problems, count


def test_every_route_and_method_sends_the_security_headers_signed_in_or_not(app):
    arguments = route_arguments(app)
    client = https_client(app)  # production, behind HTTPS
    anonymous_problems, count = walk(app, client, arguments, hsts=True)
    assert post_form(client, f"{HTTPS}/admin/login", {"email": ADMIN, "password": STAFF_PASSWORD}).status_code == 302
    staff_problems, _ = walk(app, client, arguments, hsts=True)
    assert anonymous_problems + staff_problems == []
    assert count >= 35  # every rule, every method: the walk really walked


def test_no_hsts_over_plain_http_or_in_development(app):
    plain = app.test_client().get("/en/")
    assert "Strict-Transport-Security" not in plain.headers  # browsers ignore it there (RFC 6797)
    same_services = {key: app.config[key] for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "REDIS_URL", "RQ_QUEUE")}
    development = create_app({**PRODUCTION_SETTINGS, **same_services, "PORTAL_ENV": "development"})
    arguments = route_arguments(app)
    problems, _ = walk(development, https_client(development), arguments, hsts=False)
    assert problems == []
    assert "dev_mail.messages" in {rule.endpoint for rule in development.url_map.iter_rules()}


def test_join_button_may_lead_on_to_the_provider_and_nowhere_else(client):
    policy = client.get("/en/").headers["Content-Security-Policy"]
    assert "form-action 'self' https://www.coursera.org;" in policy + ";"


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_page_template_has_inline_script_or_style():
    """The CSP forbids them; a page that had one would break in the browser, quietly."""
    templates = [path for path in (ROOT / "portal").rglob("templates/**/*.html") if "/email/" not in path.as_posix()]
    assert len(templates) > 15
    found = [f"{path.relative_to(ROOT)}: {what}" for path in templates for pattern, what in INLINE
             if pattern.search(path.read_text())]
    assert found == []


@pytest.mark.parametrize("path", ["/en/", "/es/signup"])
def test_static_files_stay_cacheable(client, path):
    page = client.get(path).get_data(as_text=True)
    stylesheet = re.search(r'<link rel="stylesheet" href="(/static/[^"]+\.css)"', page).group(1)
    assert client.get(stylesheet).headers.get("Cache-Control") != "no-store"
