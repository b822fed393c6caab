"""Development is opt-in; production refuses to start on unsafe settings and says which to fix.

Before, gunicorn started with no SECRET_KEY (one warning line) and signed sessions with a key
published in the source: a cookie forged with it opened /admin/exports/1. It also started with
SECRET_KEY=a, on SQLite, with FLASK_DEBUG=1 and without a mail relay.
"""

import base64
import os
import secrets
import subprocess
import sys

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from portal import create_app
from portal.config import OLD_DEVELOPMENT_SECRET_KEY
from portal.models import StaffRole
from portal.production import UnsafeSettings, secret_key_problem
from tests.factories import make_staff
from tests.processes import ROOT

GOOD_KEY = "q3Vt9pX2LkR7mW4zN8bC1fH6jD5sA0gEyU-TiOo_PaQ"
PRODUCTION_ENVIRONMENT = {
    "SECRET_KEY": GOOD_KEY,
    "DATABASE_URL": "postgresql://db.internal/portal",
    "MAIL_SERVER": "smtp.agency.example.gov",
    "PUBLIC_BASE_URL": "https://training.agency.example.gov",
}
SETTINGS = ["PORTAL_ENV", "SECRET_KEY", "DATABASE_URL", "MAIL_SERVER", "PUBLIC_BASE_URL", "FLASK_DEBUG",
            "ALLOW_SQLITE_IN_PRODUCTION", "SESSION_COOKIE_SECURE"]


@pytest.fixture
def environment(monkeypatch):
    """A clean production environment (PORTAL_ENV unset) that a test changes one setting of."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in PRODUCTION_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def refusal(environment, **changes) -> str:
    for name, value in changes.items():
        if value is None:
            environment.delenv(name, raising=False)
        else:
            environment.setenv(name, value)
    with pytest.raises(UnsafeSettings) as refused:
        create_app()
    return str(refused.value)


def test_production_starts_with_safe_settings(environment):
    app = create_app()
    assert app.config["PORTAL_ENV"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert "dev_mail.messages" not in {rule.endpoint for rule in app.url_map.iter_rules()}


@pytest.mark.parametrize(("changes", "named"), [
    ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
    ({"SECRET_KEY": "a"}, "SECRET_KEY is too short"),
    ({"SECRET_KEY": OLD_DEVELOPMENT_SECRET_KEY}, "SECRET_KEY is the old development key"),
    ({"SECRET_KEY": "x" * 64}, "SECRET_KEY does not look random"),
    ({"SECRET_KEY": "thisismysecretkeyforproductionuse"}, "SECRET_KEY does not look random"),
    ({"SECRET_KEY": "Portal-Production-Secret-Key-2025-NY!"}, "SECRET_KEY does not look random"),
    ({"SECRET_KEY": "0123456789012345678901234567890123456789"}, "SECRET_KEY does not look random"),
    ({"DATABASE_URL": None}, "DATABASE_URL is not set, or is SQLite"),
    ({"DATABASE_URL": "sqlite:////var/lib/portal.sqlite3"}, "DATABASE_URL is not set, or is SQLite"),
    ({"FLASK_DEBUG": "1"}, "FLASK_DEBUG is on"),
    ({"MAIL_SERVER": None}, "MAIL_SERVER is not set"),
    ({"PUBLIC_BASE_URL": None}, "PUBLIC_BASE_URL is not set"),
    ({"PUBLIC_BASE_URL": "http://training.agency.example.gov"}, "PUBLIC_BASE_URL must be an https:// address"),
    ({"PORTAL_ENV": "Production"}, None),  # anything but "development" is production: these still start
    ({"PORTAL_ENV": "dev"}, None),
])
def test_production_refuses_each_unsafe_setting_by_name(environment, changes, named):
    if named is None:
        for name, value in changes.items():
            environment.setenv(name, value)
        assert create_app().config["PORTAL_ENV"] == "production"
        return
    message = refusal(environment, **changes)
    assert named in message
    assert message.count("\n  - ") == 1  # only the setting that is wrong
    assert "PORTAL_ENV=development" in message  # and the way out on a laptop


def test_every_problem_is_named_at_once(environment):
    message = refusal(environment, SECRET_KEY=None, DATABASE_URL=None, MAIL_SERVER=None, PUBLIC_BASE_URL=None,
                      FLASK_DEBUG="1")
    for name in ("SECRET_KEY", "DATABASE_URL", "MAIL_SERVER", "PUBLIC_BASE_URL", "FLASK_DEBUG"):
        assert name in message


def test_sqlite_in_production_only_when_asked_for(environment):
    environment.setenv("DATABASE_URL", "sqlite:////tmp/portal-single-machine.sqlite3")
    environment.setenv("ALLOW_SQLITE_IN_PRODUCTION", "1")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


#: How people make keys; each must pass (a random key has a few short words in it by chance).
KEY_MAKERS = {
    "python3 -c 'import secrets; print(secrets.token_hex(16))'": lambda: secrets.token_hex(16),
    "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'": lambda: secrets.token_urlsafe(48),
    "openssl rand -base64 32": lambda: base64.b64encode(os.urandom(32)).decode(),
    "openssl rand -hex 32": lambda: os.urandom(32).hex(),
}


@pytest.mark.parametrize("maker", KEY_MAKERS)
def test_keys_made_the_usual_ways_are_accepted(maker):
    keys = [KEY_MAKERS[maker]() for _ in range(100)]
    assert [key for key in keys if secret_key_problem(key)] == []


def test_gunicorn_without_a_secret_key_does_not_start(environment):
    environment.delenv("SECRET_KEY")
    result = subprocess.run([sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "wsgi:app"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_cookie_forged_with_the_published_key_opens_nothing(app, monkeypatch):
    """The old fallback key is in the source: a session signed with it must not be anybody's.

    Development without SECRET_KEY (the only place a fallback remains) makes a random key of its
    own instead, so the forged cookie fails there too.
    """
    with app.app_context():
        admin_id = make_staff("admin@agency.example.gov", role=StaffRole.ADMIN).id
    monkeypatch.setenv("PORTAL_ENV", "development")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    development = create_app({key: app.config[key] for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "REDIS_URL")})
    assert development.config["SECRET_KEY"] != OLD_DEVELOPMENT_SECRET_KEY
    assert secret_key_problem(development.config["SECRET_KEY"]) is None
    assert create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}).config["SECRET_KEY"] == \
        development.config["SECRET_KEY"]  # kept: the web and the worker sign and check join links alike

    forger = Flask("forger")
    forger.secret_key = OLD_DEVELOPMENT_SECRET_KEY
    forged = SecureCookieSessionInterface().get_signing_serializer(forger).dumps(
        {"_user_id": str(admin_id), "_fresh": True})
    for target in (app, development):
        client = target.test_client()
        client.set_cookie("session", forged, domain="localhost")
        response = client.get("/admin/exports")
        assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")
