"""The audit trail, for administrators: read only (no route here accepts anything but GET)."""

from flask import render_template, request

from portal.admin import bp
from portal.admin.access import admin_required
from portal.admin.audit_trail import (
    AuditFilters,
    audit_actions,
    audit_page,
    reference_codes_still_held,
    staff_who_acted,
)
from portal.admin.staff_forms import AuditFiltersForm


@bp.get("/audit")
@admin_required
def audit_trail():
    staff = staff_who_acted()
    form = AuditFiltersForm(request.args, staff_choices=[(str(member.id), member.email) for member in staff],
                            action_choices=[(action, action.replace("_", " ")) for action in audit_actions()])
    filters = AuditFilters()
    if form.validate():
        filters = AuditFilters(staff_id=int(form.staff.data) if form.staff.data else None,
                               action=form.action.data or None, date_from=form.date_from.data,
                               date_to=form.date_to.data)
    page = audit_page(filters, request.args.get("after"))
    return render_template("admin/audit.html", form=form, page=page,
                           held_codes=reference_codes_still_held(page.rows),
                           staff_emails={member.id: member.email for member in staff})
