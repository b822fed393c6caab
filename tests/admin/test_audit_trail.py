"""The audit trail page: administrators only, newest first, every row exactly once page after page,
filters by staff member, action and days; and no route of the app can change or delete a row."""

import re
from datetime import timedelta

import pytest

from portal.audit import record_audit
from portal.clock import local_date, start_of_local_day
from portal.extensions import db
from portal.models import AuditEvent, utcnow
from tests.factories import make_signup, make_staff, sign_in

ROW_CODE = re.compile(r'<time datetime="[^"]+">.*?</time></th>\s*<td data-label="Who">([^<]*)</td>\s*'
                      r'<td data-label="Action">([^<]*)</td>', re.S)


def _rows(page: str) -> list[tuple[str, str]]:
    return [(who.strip(), action.strip()) for who, action in ROW_CODE.findall(page)]


def _event(action: str, staff, at, **fields) -> AuditEvent:
    event = record_audit(action, actor="staff" if staff else "purge-expired command", staff=staff, **fields)
    event.created_at = at
    return event


def test_help_desk_staff_get_403(app, client):
    with app.app_context():
        make_staff()
    sign_in(client)
    assert client.get("/admin/audit").status_code == 403


def test_newest_first_with_the_request_linked_and_the_fields(app, admin_client):
    with app.app_context():
        desk = make_staff()
        signup = make_signup()
        now = utcnow()
        _event("email_corrected", desk, now - timedelta(hours=2), signup=signup,
               before={"email": "old@example.com", "state": "failed"}, after={"email": "new@example.com"},
               reason="Typed gmial for gmail")
        _event("personal_data_purged", None, now - timedelta(hours=1), request_id=999, reference_code="ZZZZ-2222")
        db.session.commit()
        code = signup.reference_code
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert _rows(page) == [("purge-expired command", "personal data purged"),
                           ("helpdesk@agency.example.gov", "email corrected")]
    assert f'href="/admin/requests/{code}"' in page
    assert "ZZZZ-2222</span> (removed)" in page  # the purged request: named, not linked
    assert "Typed gmial for gmail" in page and "failed" in page
    assert "old@example.com" not in page and "(personal data: not kept in the audit trail)" in page


def test_filters_by_staff_member_action_and_days(app, admin_client):
    with app.app_context():
        first, second = make_staff("first@agency.example.gov"), make_staff("second@agency.example.gov")
        today = local_date(utcnow())
        midnight = start_of_local_day(today)
        _event("note_added", first, midnight + timedelta(minutes=1))
        _event("note_added", second, midnight - timedelta(minutes=1))  # yesterday, in the program's zone
        _event("email_corrected", first, midnight - timedelta(days=3))
        db.session.commit()
        first_id = first.id
    by_staff = _rows(admin_client.get(f"/admin/audit?staff={first_id}").get_data(as_text=True))
    assert by_staff == [("first@agency.example.gov", "note added"), ("first@agency.example.gov", "email corrected")]
    by_action = _rows(admin_client.get("/admin/audit?action=note_added").get_data(as_text=True))
    assert [who for who, _action in by_action] == ["first@agency.example.gov", "second@agency.example.gov"]
    yesterday = (today - timedelta(days=1)).isoformat()
    one_day = _rows(admin_client.get(f"/admin/audit?date_from={yesterday}&date_to={yesterday}").get_data(as_text=True))
    assert one_day == [("second@agency.example.gov", "note added")]
    since_yesterday = _rows(admin_client.get(f"/admin/audit?date_from={yesterday}").get_data(as_text=True))
    assert len(since_yesterday) == 2
    both = _rows(admin_client.get(f"/admin/audit?staff={first_id}&action=note_added&date_from={today.isoformat()}")
                 .get_data(as_text=True))
    assert both == [("first@agency.example.gov", "note added")]
    backwards = admin_client.get(f"/admin/audit?date_from={today.isoformat()}&date_to={yesterday}")
    assert "The end date must be the same as or after the start date" in backwards.get_data(as_text=True)
    assert 'href="/admin/audit"' in admin_client.get("/admin/audit?action=note_added").get_data(as_text=True)


def test_pages_return_every_row_exactly_once_while_rows_arrive(app, admin_client):
    with app.app_context():
        desk = make_staff()
        start = utcnow() - timedelta(days=1)
        for number in range(120):  # several rows share each moment: the id breaks the ties
            _event(f"action_{number:03d}", desk, start + timedelta(seconds=number // 3))
        db.session.commit()
    seen, url, pages = [], "/admin/audit", 0
    while url:
        page = admin_client.get(url).get_data(as_text=True)
        seen += [action for _who, action in _rows(page)]
        pages += 1
        if pages == 1:
            with app.app_context():  # new rows arrive: they are newer than the first page, never in later ones
                _event("arrived_later", None, utcnow())
                db.session.commit()
        next_link = re.search(r'href="(/admin/audit\?after=[^"]+)"', page)
        url = next_link.group(1).replace("&amp;", "&") if next_link else None
    assert pages == 3
    assert seen == [f"action {number:03d}".replace("_", " ") for number in reversed(range(120))]
    assert "arrived later" not in seen


def test_no_route_can_change_the_audit_trail(app):
    """Walks Flask's URL map: nothing with "audit" in its path or endpoint accepts a method that writes."""
    writing = {"POST", "PUT", "PATCH", "DELETE"}
    audit_rules = [rule for rule in app.url_map.iter_rules() if "audit" in rule.rule or "audit" in rule.endpoint]
    assert [rule.rule for rule in audit_rules] == ["/admin/audit"]
    assert [(rule.rule, rule.methods & writing) for rule in audit_rules if rule.methods & writing] == []


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_writing_methods_are_refused(admin_client, method):
    assert admin_client.open("/admin/audit", method=method).status_code == 405
