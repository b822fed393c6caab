"""The audit trail: written by one function, never changed or deleted, and free of personal values."""

import pytest
import sqlalchemy
from sqlalchemy import delete, update

from portal.audit import NOT_KEPT, record_audit
from portal.extensions import db
from portal.models import AuditEvent, AuditTrailIsAppendOnly
from tests.factories import make_signup, make_staff


def test_record_audit_writes_who_when_what_target_fields_and_reason(app_context):
    staff = make_staff()
    signup = make_signup()
    record_audit("email_corrected", actor="staff", staff=staff, signup=signup,
                 before={"email": "maria.gonzalez@exmaple.com", "state": "failed"},
                 after={"email": "maria.gonzalez@example.com", "state": "approved"},
                 reason="The applicant called: the domain was misspelled")
    db.session.commit()

    event = db.session.scalars(sqlalchemy.select(AuditEvent)).one()
    assert (event.actor, event.staff_id, event.action) == ("staff", staff.id, "email_corrected")
    assert (event.request_id, event.reference_code) == (signup.id, signup.reference_code)
    assert event.created_at is not None
    assert event.before == {"email": NOT_KEPT, "state": "failed"}  # the change is recorded, the address is not
    assert event.after == {"email": NOT_KEPT, "state": "approved"}
    assert event.reason == "The applicant called: the domain was misspelled"


@pytest.fixture
def audit_event(app_context):
    record_audit("personal_data_purged", actor="purge job", request_id=7, reference_code="K7MQ-4X2P",
                 before={"state": "completed"})
    db.session.commit()
    return db.session.scalars(sqlalchemy.select(AuditEvent)).one()


def test_an_audit_event_cannot_be_changed_through_the_orm(audit_event):
    audit_event.reason = "rewritten"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEvent, audit_event.id, populate_existing=True).reason is None


def test_an_audit_event_cannot_be_deleted_through_the_orm(audit_event):
    db.session.delete(audit_event)
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEvent, audit_event.id) is not None


@pytest.mark.parametrize("statement", [
    lambda: update(AuditEvent).values(reason="rewritten"),
    lambda: delete(AuditEvent),
    lambda: update(AuditEvent.__table__).values(reason="rewritten"),
    lambda: delete(AuditEvent.__table__),
], ids=["orm update", "orm delete", "core update", "core delete"])
def test_bulk_statements_on_audit_events_are_refused(audit_event, statement):
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.execute(statement())
    db.session.rollback()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.query.delete()
    db.session.rollback()
    assert db.session.scalar(sqlalchemy.select(sqlalchemy.func.count()).select_from(AuditEvent)) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("sql", ["UPDATE audit_events SET reason = 'rewritten'", "DELETE FROM audit_events"])
def test_postgresql_refuses_raw_sql_that_would_change_the_audit_trail(audit_event, sql):
    with pytest.raises(sqlalchemy.exc.ProgrammingError, match="audit_events is append-only"):
        db.session.execute(sqlalchemy.text(sql))
    db.session.rollback()
    assert db.session.get(AuditEvent, audit_event.id, populate_existing=True).reason is None
