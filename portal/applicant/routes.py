from flask import render_template

from portal.activation import ResendResult, send_invitation_again
from portal.applicant import bp
from portal.applicant.forms import StatusForm
from portal.eligibility import REASONS
from portal.signups import find_request


@bp.route("/status", methods=["GET", "POST"])
def status():
    """Check a request with its reference code and email, and ask for the invitation again."""
    form = StatusForm()
    signup_request = None
    resend_result = None
    if form.validate_on_submit():
        signup_request = find_request(form.reference_code.data, form.email.data)
        if signup_request is not None and form.action.data == "resend":
            resend_result = send_invitation_again(signup_request.id)
    return render_template(
        "applicant/status.html",
        form=form,
        signup=signup_request,
        not_found=form.is_submitted() and not form.errors and signup_request is None,
        reason=REASONS.get(signup_request.decision_reason, "") if signup_request else "",
        resend_result=resend_result,
        ResendResult=ResendResult,
    ), 400 if form.errors else 200
