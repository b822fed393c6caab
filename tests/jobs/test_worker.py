"""The real thing: `flask --app wsgi worker`, RQ's forking worker with the app built before the fork."""

import os
import subprocess
import sys
from pathlib import Path

from portal.extensions import db
from portal.models import RequestState, SignupRequest
from tests.factories import make_signup

ROOT = Path(__file__).resolve().parents[2]


def test_forking_worker_process_invites_in_the_applicants_language(app, smtp):
    with app.app_context():
        signup_id = make_signup(preferred_language="es").id
    environment = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "RQ_QUEUE": app.config["RQ_QUEUE"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "PUBLIC_BASE_URL": app.config["PUBLIC_BASE_URL"],
    }
    finished = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    with app.app_context():
        signup = db.session.get(SignupRequest, signup_id)
        assert signup.state == RequestState.INVITED
    assert sorted(message["Subject"] for message in smtp.messages) == [
        "Recibimos su solicitud de una licencia gratuita de capacitación",
        "Su licencia gratuita de capacitación está lista",
    ]
    assert "PortalWorker" in finished.stderr or "Worker" in finished.stderr
