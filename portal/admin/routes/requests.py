"""A request's page: what happened to it, in staff words."""

from flask import abort, render_template
from flask_login import current_user, login_required

from portal.admin import bp
from portal.admin.queries import request_for_staff
from portal.eligibility import REASONS
from portal.notifications import REMOVAL_REASONS
from portal.signups import HOLD_REASONS


@bp.get("/requests/<reference_code>")
@login_required
def request_detail(reference_code: str):
    signup_request = request_for_staff(reference_code, current_user)
    if signup_request is None:
        abort(404)
    return render_template("admin/request.html", signup=signup_request,
                           reason=REASONS.get(signup_request.decision_reason, ""), hold_reasons=HOLD_REASONS,
                           removal_reason=REMOVAL_REASONS.get(signup_request.removal_reason, ""))
