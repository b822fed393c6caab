"""Browser tests: Debian's chromium driven by Playwright against the real app on a live server.

They run on SQLite only: `database_url` is overridden here (not parametrized), so the `app`
fixture from tests/conftest.py builds this folder's apps over one migrated SQLite file while
Redis and the SMTP server stay real.
"""

import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import _migrate

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's chromium, never Playwright's own download."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A phone-sized window: most applicants come from a phone.

    The pages' Content-Security-Policy allows no inline script, and Playwright injects axe-core as
    one: these contexts let it in. tests/browser/test_security_browser.py browses with the policy
    enforced."""
    return {**browser_context_args, "viewport": PHONE, "bypass_csp": True}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """One migrated SQLite file for every browser test (the `app` fixture empties it after each)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'portal.sqlite3'}"
    _migrate(url)
    return url


@pytest.fixture
def live_server(app):
    """The app served over HTTP on a free port of 127.0.0.1; yields its base URL (no trailing /)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
