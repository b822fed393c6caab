import uuid

import pytest
import sqlalchemy
from flask_migrate import check, upgrade

from portal import create_app
from portal.extensions import db
from portal.models import utcnow
from tests.conftest import DATABASE_BACKENDS, POSTGRES_URL, PRODUCTION_SETTINGS


def test_migrations_match_the_models(app):
    """`flask db check` finds nothing the models have that the migrations lack (on each backend)."""
    with app.app_context():
        check()


# --- The mailbox key and session tokens, on rows made before them ------------------------------

@pytest.fixture(params=DATABASE_BACKENDS)
def empty_database_url(request, tmp_path):
    """An empty database of each backend: an SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    schema = f"portal_migration_{uuid.uuid4().hex[:12]}"
    base = sqlalchemy.make_url(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    engine = sqlalchemy.create_engine(base)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def _old_request(connection, request_id: int, email: str, state: str) -> None:
    connection.execute(sqlalchemy.text(
        "INSERT INTO signup_requests (id, reference_code, program, state, first_name, last_name, email, zip_code, "
        "preferred_language, employment_status, covid_related, layoff_notice, agency_staff, attested_at, "
        "created_at, updated_at, holds_seat) VALUES (:id, :code, 'ny', :state, 'A', 'B', :email, '12207', 'en', "
        "'laid_off', 'yes', false, false, :now, :now, :now, false)"),
        {"id": request_id, "code": f"AAAA-{request_id:04d}", "state": state, "email": email, "now": utcnow()})


def test_existing_requests_get_their_mailbox_key_and_staff_a_session_token(empty_database_url):
    app = create_app({**PRODUCTION_SETTINGS, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="3b4aa4786d37")
        with db.engine.begin() as connection:
            _old_request(connection, 1, "jane.doe+jobs@gmail.com", "invited")
            _old_request(connection, 2, "janedoe@googlemail.com", "approved")  # the same mailbox, open too
            _old_request(connection, 3, "JaneDoe@gmail.com", "denied")
            _old_request(connection, 4, "someone@example.com", "waitlisted")
            connection.execute(sqlalchemy.text(
                "INSERT INTO staff_users (id, email, password_hash, role, is_enabled, created_at) "
                "VALUES (1, 'desk@agency.example.gov', 'x', 'admin', true, :now)"), {"now": utcnow()})
        upgrade()
        keys = dict(db.session.execute(sqlalchemy.text("SELECT id, email_key FROM signup_requests")).all())
        assert keys == {1: "janedoe@gmail.com", 2: "janedoe@gmail.com#2", 3: "janedoe@gmail.com",
                        4: "someone@example.com"}
        token = db.session.scalar(sqlalchemy.text("SELECT session_token FROM staff_users"))
        assert len(token) >= 40
        with pytest.raises(sqlalchemy.exc.IntegrityError):  # and the rule holds from now on
            with db.engine.begin() as connection:
                _old_request(connection, 5, "j.a.n.e.doe@gmail.com", "approved")
                connection.execute(sqlalchemy.text("UPDATE signup_requests SET email_key = 'janedoe@gmail.com' "
                                                   "WHERE id = 5"))
        db.session.remove()
        db.engine.dispose()
