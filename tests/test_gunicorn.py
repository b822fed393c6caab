"""The portal behind a real gunicorn and a real worker, as production runs them.

Before: `Server: gunicorn` on every response; a 100 MB form field read and accepted; and the logs
held SQL parameters (name, email, ZIP), live join tokens and staff search terms.
"""

import http.client
import re
import socket
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest

from portal.extensions import db
from portal.models import SignupRequest, StaffRole
from tests.conftest import CSRF_PATTERN, FORM_OPENED_PATTERN
from tests.factories import FORM_DATA, STAFF_PASSWORD, make_staff
from tests.processes import GunicornProcess
from tests.smtp import email_kind, text_body

#: One applicant's personal data, distinctive enough that finding it anywhere in a log means a leak.
APPLICANT = {**FORM_DATA, "first_name": "Zebulon", "last_name": "Quintanilla-Okafor",
             "email": "zebulon.quintanilla@example.net", "phone": "(518) 555-0176", "zip_code": "06390"}
SEARCH = "Quintanilla"
STAFF = "admin@agency.example.gov"


class Browser:
    """Just enough of a browser for gunicorn: cookies (Secure ones too: this is plain HTTP on
    127.0.0.1) and the CSRF token of the page it last read."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = dict(headers or {})
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response, text

    def post_form(self, path: str, data: dict):
        _, page = self.request("GET", path)
        match = CSRF_PATTERN.search(page)
        hidden = {"csrf_token": match.group(1) or match.group(2)}
        opened = FORM_OPENED_PATTERN.search(page)  # the sign-up form's signed opening time
        if opened:
            hidden["form_opened"] = opened.group(1)
        return self.request("POST", path, {**data, **hidden})


@pytest.fixture
def gunicorn(app):
    server = GunicornProcess(app)
    yield server
    server.close()


def test_responses_carry_the_security_headers_and_no_server_banner(gunicorn):
    browser = Browser(gunicorn.port)
    for path in ("/", "/en/", "/es/signup", "/static/portal.css", "/nowhere/at/all", "/healthz"):
        response, _ = browser.request("GET", path)
        assert response.getheader("Server") is None, path
        assert response.getheader("X-Content-Type-Options") == "nosniff", path
        assert "frame-ancestors 'none'" in response.getheader("Content-Security-Policy"), path
    https = browser.request("GET", "/en/", headers={"X-Forwarded-Proto": "https"})[0]  # as the proxy in front says
    assert https.getheader("Strict-Transport-Security").startswith("max-age=")


def test_a_100_mb_body_is_refused_from_its_declared_size(gunicorn):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", gunicorn.port), timeout=10) as connection:
        connection.sendall(b"POST /es/signup HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           b"Content-Type: application/x-www-form-urlencoded\r\n"
                           b"Content-Length: 104857600\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, page = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert "Lo que envió es demasiado grande" in page.decode()
    assert time.monotonic() - started < 5  # answered without waiting for 100 MB that never came
    assert Browser(gunicorn.port).request("GET", "/healthz")[0].status == 200


@pytest.fixture
def redis_url(private_redis_url):
    """The worker below runs this test's jobs to the end: not the machine's shared Redis."""
    return private_redis_url


def test_a_full_run_leaves_nothing_personal_in_any_log(app, gunicorn, start_worker, smtp):
    browser = Browser(gunicorn.port)
    response, _ = browser.post_form("/en/signup", APPLICANT)
    assert response.status == 302
    # Crafted input that PostgreSQL refuses inside the INSERT: whatever the answer, the statement's
    # values (name, email, ZIP) must not reach the log with the error.
    browser.post_form("/en/signup", {**APPLICANT, "first_name": "Zebulon\x00", "email": "zebulon.nul@example.net"})
    worker = start_worker()
    worker_log = worker.wait_for_success()
    invitation = next(message for message in smtp.messages if email_kind(message) == "invitation")
    token = re.search(r"/en/join/(\S+)", text_body(invitation)).group(1)
    with app.app_context():
        reference = db.session.scalar(db.select(SignupRequest.reference_code).filter_by(email=APPLICANT["email"]))
        make_staff(STAFF, role=StaffRole.ADMIN)

    status_page = browser.post_form("/en/status", {"reference_code": reference, "email": APPLICANT["email"],
                                                   "action": "check"})[1]
    assert APPLICANT["first_name"] in status_page or reference in status_page
    assert browser.request("GET", f"/en/join/{token}")[0].status == 200
    assert browser.post_form(f"/en/join/{token}", {})[0].status == 303
    assert browser.request("GET", f"/es/join/{token}", headers={"Referer": f"{gunicorn.url}/en/join/{token}"}
                           )[0].status == 303
    staff = Browser(gunicorn.port)
    assert staff.post_form("/admin/login", {"email": STAFF, "password": STAFF_PASSWORD})[0].status == 302
    response, page = staff.request("GET", f"/admin/requests?q={SEARCH}",
                                   headers={"Referer": f"{gunicorn.url}/admin/?q={SEARCH}"})
    assert response.status == 200 and f'value="{SEARCH}"' in page
    assert staff.request("GET", f"/admin/requests/{reference}")[0].status == 200

    logs = gunicorn.output() + worker_log
    assert "POST /en/signup" in logs and "GET /admin/requests?" in logs and "/join/" in logs  # the logs were written
    secrets_ = {
        "first name": APPLICANT["first_name"], "last name": APPLICANT["last_name"],
        "email": APPLICANT["email"], "email's mailbox": APPLICANT["email"].split("@")[0],
        "phone": "555-0176", "phone digits": "5185550176", "ZIP code": APPLICANT["zip_code"],
        "join token": token, "join token's signature": token.rsplit(".", 1)[-1], "staff search": SEARCH,
    }
    found = {what: value for what, value in secrets_.items() if re.search(rf"(?<!\d){re.escape(value)}(?!\d)", logs)}
    assert found == {}, f"personal data in the logs: {found}\n{logs[-4000:]}"
