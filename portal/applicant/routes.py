from flask import current_app, render_template

from portal.applicant import bp
from portal.applicant.forms import StatusForm
from portal.eligibility import REASONS
from portal.programs import current_program
from portal.signups import find_request


@bp.route("/status", methods=["GET", "POST"])
def status():
    form = StatusForm()
    signup_request = None
    not_found = False
    if form.validate_on_submit():
        signup_request = find_request(form.reference_code.data, form.email.data)
        not_found = signup_request is None
    return render_template(
        "applicant/status.html",
        form=form,
        signup=signup_request,
        not_found=not_found,
        reason=REASONS.get(signup_request.decision_reason, "") if signup_request else "",
        program=current_program(),
        sla_hours=current_app.config["ACTIVATION_SLA_HOURS"],
    ), 400 if form.errors else 200
