"""bench/abuse.py and bench/lighthouse.py run outside `make bench`, so nothing else starts their
servers: the settings they give gunicorn must pass production's checks (both stopped at start once
production became the default, with a short key and no mail relay)."""

import pytest

from bench import abuse, lighthouse
from portal import create_app


@pytest.mark.parametrize("script", ["abuse, limits on", "abuse, limits off", "lighthouse"])
def test_each_scripts_server_starts_with_production_settings(monkeypatch, tmp_path, script):
    environment = {
        "abuse, limits on": lambda: abuse.server_environment("postgresql://127.0.0.1:5432/test", limits=True),
        "abuse, limits off": lambda: abuse.server_environment("postgresql://127.0.0.1:5432/test", limits=False),
        "lighthouse": lambda: lighthouse.server_environment(str(tmp_path)),
    }[script]()
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    app = create_app()

    assert app.config["PORTAL_ENV"] == "production"
