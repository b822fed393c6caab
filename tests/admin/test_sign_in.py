"""Staff sign-in against guessing, and sessions that end when they should."""

import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher

from portal import staff as staff_module
from portal.models import StaffUser
from portal.staff_lockout import record_failure
from tests.conftest import csrf_token, hidden_fields, post_form
from tests.factories import FORM_DATA, STAFF_PASSWORD, make_staff, sign_in

EMAIL = "helpdesk@agency.example.gov"


@pytest.fixture
def verifications(monkeypatch):
    """Count argon2 verifications: the CPU a guess costs (the real hasher still does the work)."""
    calls = []

    class CountingHasher(PasswordHasher):
        __slots__ = ()

        def verify(self, hash_, password):
            calls.append(1)
            return super().verify(hash_, password)

    monkeypatch.setattr(staff_module, "_hasher", CountingHasher())
    return calls


def _client(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.mark.parametrize("app_settings", [{"RATELIMIT_ENABLED": True}])
def test_a_flood_of_wrong_passwords_locks_the_account_before_argon2(app, verifications):
    """Issue 8: 262 wrong passwords, then the right one, signed in, and an 8-thread flood slowed
    applicants' pages 60 times. Now the account locks after 5 failures, whatever client they come
    from, and a locked account is refused before its password is verified."""
    with app.app_context():
        make_staff()

    def guess(number):
        client = _client(app, f"192.0.2.{number % 8 + 1}")  # 8 clients: the per-client limit alone would not do
        response = client.post("/admin/login", data={**hidden_fields(client, "/admin/login"),
                                                     "email": EMAIL, "password": f"guess {number}"})
        return response.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = Counter(pool.map(guess, range(262)))
    assert statuses[401] <= 5 + 8 and statuses[429] >= 262 - 13  # 8 may be in flight when the lock falls
    assert len(verifications) <= 5 + 8

    right = _client(app, "192.0.2.200")
    response = sign_in(right)
    assert response.status_code == 429
    assert "Too many failed sign-ins with this email address." in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    assert right.get("/admin/").status_code == 302

    # Applicants behind the same address are not affected.
    neighbour = _client(app, "192.0.2.1")
    assert neighbour.get("/en/signup").status_code == 200
    assert post_form(neighbour, "/en/signup", FORM_DATA).status_code == 302


@pytest.mark.parametrize("app_settings", [{"RATELIMIT_ENABLED": True}])
def test_one_client_trying_many_accounts_is_throttled(app, verifications):
    client = _client(app, "192.0.2.50")
    statuses = [post_form(client, "/admin/login", {"email": f"staff{n}@agency.example.gov", "password": "wrong"})
                .status_code for n in range(15)]
    assert statuses == [401] * 10 + [429] * 5
    assert len(verifications) == 10


def test_the_lockout_grows_with_each_failure_after_the_fifth(app_context):
    assert [record_failure(EMAIL) for _ in range(10)] == [0, 0, 0, 0, 60, 120, 240, 480, 900, 900]


def test_an_unknown_address_is_locked_like_a_real_one(app, client):
    with app.app_context():
        make_staff()
    for email in (EMAIL, "nobody@agency.example.gov"):
        statuses = [sign_in(client, email=email, password="wrong password").status_code for _ in range(6)]
        assert statuses == [401, 401, 401, 401, 429, 429], email


def test_signing_in_clears_the_failures(app, client):
    with app.app_context():
        make_staff()
    for _ in range(4):
        sign_in(client, password="wrong password")
    assert sign_in(client).status_code == 302
    client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert [sign_in(client, password="wrong").status_code for _ in range(4)] == [401] * 4


@pytest.mark.parametrize("app_settings", [{"REDIS_URL": "redis://127.0.0.1:1/0"}])
def test_staff_can_sign_in_while_redis_is_away(app, client, caplog):
    with app.app_context():
        make_staff()
    with caplog.at_level(logging.WARNING, logger="portal.staff_lockout"):
        assert sign_in(client).status_code == 302
    assert "lockout unavailable" in caplog.text


# --- Sessions ---------------------------------------------------------------------------------

def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str):
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/admin/")


def test_signing_out_ends_every_session_of_the_account(app, client):
    """Issue 8: the cookie from before logout, replayed, still opened /admin/ and /admin/exports."""
    with app.app_context():
        make_staff()
    sign_in(client)
    copied = _session_cookie(client)
    laptop = app.test_client()
    sign_in(laptop)
    assert _replay(app, copied).status_code == 200

    client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert _replay(app, copied).status_code == 302
    assert laptop.get("/admin/").status_code == 302  # signed out everywhere
    assert sign_in(laptop).status_code == 302 and laptop.get("/admin/").status_code == 200


def test_disabling_an_account_ends_its_sessions(app, client, runner):
    with app.app_context():
        make_staff()
    sign_in(client)
    assert client.get("/admin/").status_code == 200
    result = runner.invoke(args=["disable-staff", EMAIL])
    assert result.exit_code == 0, result.output
    assert client.get("/admin/").status_code == 302
    assert sign_in(client).status_code == 401


def test_a_new_password_ends_the_old_sessions(app, client, runner):
    with app.app_context():
        make_staff()
    sign_in(client)
    result = runner.invoke(args=["set-staff-password", EMAIL, "--password", "another long passphrase"])
    assert result.exit_code == 0, result.output
    assert client.get("/admin/").status_code == 302
    assert sign_in(client, password="another long passphrase").status_code == 302


def test_a_session_without_the_accounts_token_is_refused(app, client):
    """Cookies from before session tokens (or forged with a leaked key) name only the account."""
    with app.app_context():
        staff_id = make_staff().id
    with client.session_transaction() as session:
        session["_user_id"] = str(staff_id)
        session["_fresh"] = True
    assert client.get("/admin/").status_code == 302


# --- Passwords --------------------------------------------------------------------------------

@pytest.mark.parametrize(("password", "why"), [
    ("x", "at least 12 characters"),
    ("password1234", "one of the most common passwords"),
    ("qwertyuiop12", "one of the most common passwords"),
    ("aaaaaaaaaaaa", "too easy to guess"),
    ("iloveyou1234", "too easy to guess"),
])
def test_short_common_or_guessable_passwords_are_refused(app, runner, password, why):
    """Issue 8: a 1-character staff password was accepted."""
    result = runner.invoke(args=["create-staff", EMAIL, "--password", password])
    assert result.exit_code == 1
    assert why in result.output
    with app.app_context():
        assert StaffUser.query.count() == 0


def test_a_long_uncommon_password_is_accepted_everywhere_a_password_is_set(app, runner):
    assert runner.invoke(args=["create-staff", EMAIL, "--password", STAFF_PASSWORD]).exit_code == 0
    weak = runner.invoke(args=["set-staff-password", EMAIL, "--password", "short"])
    assert weak.exit_code == 1 and "at least 12 characters" in weak.output
    assert runner.invoke(args=["set-staff-password", "nobody@example.com", "--password", STAFF_PASSWORD]).exit_code == 1
