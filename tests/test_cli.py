from collections import Counter

from sqlalchemy import text

from portal.clock import local_date
from portal.extensions import db
from portal.forms import normalize_phone
from portal.identifiers import mailbox_key, normalize_case_id, normalize_reference_code, searchable_name
from portal.local_areas import assign_local_areas
from portal.models import AuditEvent, OutboundEmail, SignupRequest, StaffUser
from portal.programs import current_program
from portal.seats import seats_taken
from portal.staff import authenticate
from tests.factories import make_signup


def test_create_staff(app, runner):
    result = runner.invoke(args=["create-staff", "Desk@Agency.example.gov", "--role", "admin",
                                 "--password", "a long passphrase"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        staff = StaffUser.query.one()
        assert (staff.email, staff.role) == ("desk@agency.example.gov", "admin")
        assert staff.password_hash.startswith("$argon2")
        assert authenticate("desk@agency.example.gov", "a long passphrase") == staff
    again = runner.invoke(args=["create-staff", "desk@agency.example.gov", "--password", "x"])
    assert again.exit_code == 1 and "already exists" in again.output


def test_dev_staff_prints_a_login_once_and_remembers_it(app, runner):
    first = runner.invoke(args=["dev-staff"])
    assert "dev@localhost /" in first.output
    assert runner.invoke(args=["dev-staff"]).output == first.output
    with app.app_context():
        assert StaffUser.query.count() == 1


def test_demo_data_is_what_the_portal_itself_would_have_written(app, runner):
    result = runner.invoke(args=["demo-data", "2500", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "Added 2,500 requests" in result.output
    with app.app_context():
        program = current_program()
        requests = SignupRequest.query.all()
        assert len(requests) == 2500
        assert len({signup.reference_code for signup in requests}) == 2500
        assert all(signup.reference_code == normalize_reference_code(signup.reference_code) for signup in requests)
        assert all(signup.search_name == searchable_name(signup.full_name) for signup in requests)
        assert all(signup.email_key == mailbox_key(signup.email) for signup in requests)
        assert all(signup.local_area == program.area_for_zip(signup.zip_code) for signup in requests)
        assert all(normalize_phone(signup.phone) == signup.phone for signup in requests if signup.phone)
        assert all(signup.case_id == normalize_case_id(signup.case_id) for signup in requests if signup.case_id)
        assert any(set(signup.first_name + signup.last_name) & set("áéíóúñ") for signup in requests)
        assert any(signup.entered_by_staff_id for signup in requests)
        holders = [signup for signup in requests if signup.holds_seat]
        assert seats_taken(program) == len(holders) > 0
        for signup in requests:
            history = [(event.from_state, event.to_state) for event in signup.events]
            assert history[0] == (None, "submitted") and history[-1][1] == signup.state
            assert all(earlier[1] == later[0] for earlier, later in zip(history, history[1:], strict=False))
            assert (signup.invited_at is not None) == signup.holds_seat == ("invited" in dict(history).values())
            if signup.holds_seat:
                assert signup.enroll_by == program.enroll_by_for(local_date(signup.invited_at))
            assert (signup.failure_reason is not None) == (signup.state == "failed")
            kinds = {email.kind for email in signup.emails}
            assert ("not_eligible" in kinds) == (signup.state == "denied")
            assert ("invitation" in kinds) == signup.holds_seat
        failed = [signup for signup in requests if signup.state == "failed"]
        assert failed and all("550" in signup.failure_reason for signup in failed)
        assert all(email.status == "failed" and "550" in email.last_error
                   for signup in failed for email in signup.emails if email.kind == "invitation")
        assert OutboundEmail.query.filter_by(status="sending").count() > 0
        sent = OutboundEmail.query.filter_by(status="sent").all()
        assert sent and all(email.to_address and email.sent_text and email.sent_at for email in sent)
        assert all("[join link]" in email.sent_text for email in sent if email.kind == "invitation")
        states = Counter(signup.state for signup in requests)
        assert {"invited", "enrolled", "needs_review", "denied", "failed"} <= set(states)
        first_codes = sorted(signup.reference_code for signup in requests)

    again = runner.invoke(args=["demo-data", "50", "--seed", "3"])  # the same seed, the same database: new codes
    assert again.exit_code == 0, again.output
    with app.app_context():
        assert SignupRequest.query.count() == 2550
        assert len({code for (code,) in db.session.query(SignupRequest.reference_code)}) == 2550
        assert len(first_codes) == 2500


def test_demo_data_with_a_seed_is_the_same_people(app, runner):
    def people():
        with app.app_context():
            return [(signup.first_name, signup.last_name, signup.state, signup.zip_code)
                    for signup in SignupRequest.query.order_by(SignupRequest.id)]

    assert runner.invoke(args=["demo-data", "40", "--seed", "11"]).exit_code == 0
    first = people()
    with app.app_context():
        for table in ("outbound_emails", "request_events", "signup_requests"):
            db.session.execute(text(f"DELETE FROM {table}"))
        db.session.execute(text("UPDATE seat_pools SET seats_taken = 0"))
        db.session.commit()
    assert runner.invoke(args=["demo-data", "40", "--seed", "11"]).exit_code == 0
    assert people() == first


def test_assign_local_areas_after_the_program_file_changed(app, runner):
    with app.app_context():
        capital = make_signup(email="albany@example.com", zip_code="12207")
        nowhere = make_signup(email="jersey@example.com", zip_code="07030")
        moved = make_signup(email="moved@example.com", zip_code="13202")
        assert (capital.local_area, nowhere.local_area, moved.local_area) == ("capital", None, "central")
        db.session.execute(text("UPDATE signup_requests SET local_area = NULL WHERE id = :id"), {"id": capital.id})
        db.session.execute(text("UPDATE signup_requests SET local_area = 'old_area' WHERE id = :id"),
                           {"id": nowhere.id})
        db.session.execute(text("UPDATE signup_requests SET local_area = 'capital' WHERE id = :id"), {"id": moved.id})
        db.session.commit()

    result = runner.invoke(args=["assign-local-areas"])

    assert result.exit_code == 0, result.output
    assert ("Checked 3 requests: 1 given an area, 1 moved to another area, 1 in no area any more; 0 unchanged."
            in result.output)
    with app.app_context():
        areas = dict(db.session.execute(text("SELECT email, local_area FROM signup_requests")).all())
        assert areas == {"albany@example.com": "capital", "jersey@example.com": None, "moved@example.com": "central"}
        audit = AuditEvent.query.filter_by(action="local_areas_assigned").one()
        assert audit.after == {"checked": 3, "given": 1, "moved": 1, "cleared": 1}
    again = runner.invoke(args=["assign-local-areas"])
    assert "0 given an area, 0 moved to another area, 0 in no area any more; 3 unchanged." in again.output
    with app.app_context():
        assert AuditEvent.query.filter_by(action="local_areas_assigned").count() == 1


def test_assign_local_areas_works_in_batches(app):
    with app.app_context():
        for number in range(7):
            make_signup(email=f"person{number}@example.com", zip_code="12207")
        db.session.execute(text("UPDATE signup_requests SET local_area = NULL"))
        db.session.commit()
        batches = []
        report = assign_local_areas(progress=batches.append, batch_size=3)
        assert batches == [3, 3, 1] and report.given == 7
        assert db.session.scalar(text("SELECT count(*) FROM signup_requests WHERE local_area = 'capital'")) == 7


def test_a_big_demo_load_on_postgresql_builds_the_same_indexes_again(app, runner, monkeypatch):
    """From REBUILD_INDEXES_FROM requests on, indexes are dropped and built again at the end: all of them."""
    import portal.demo

    monkeypatch.setattr(portal.demo, "REBUILD_INDEXES_FROM", 10)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            assert not portal.demo._rebuild_indexes(db.session.connection(), 1_000_000)  # SQLite keeps its own
            return
        definitions = text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                           "ORDER BY indexname")
        before = db.session.execute(definitions).all()
        db.session.rollback()
    assert runner.invoke(args=["demo-data", "300"]).exit_code == 0
    with app.app_context():
        after = db.session.execute(definitions).all()
        # PostgreSQL prints a partial index's condition it parsed again with other casts: the same condition.
        assert [(name, definition.split(" WHERE ")[0]) for name, definition in after] == [
            (name, definition.split(" WHERE ")[0]) for name, definition in before]
        assert [name for name, definition in after if all(state in definition for state in
                                                          ("denied", "removed", "completed"))] == [
            "uq_signup_requests_open_mailbox"]
        assert any(name == "ix_signup_requests_search_name_trgm" for name, _definition in before)
        assert SignupRequest.query.count() == 300
