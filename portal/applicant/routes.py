from flask import redirect, render_template, request

from portal.applicant import bp
from portal.applicant.forms import JoinForm, StatusForm
from portal.eligibility import REASONS
from portal.enrolment import JOINED_STATES, accept_invitation, request_for_join_token
from portal.invitations import ResendResult, send_invitation_again
from portal.links import JoinLinkExpired, JoinLinkInvalid, JoinLinkReplaced, join_token
from portal.models import RequestState
from portal.page_cache import blank_form_page
from portal.programs import current_program
from portal.rate_limits import join_limits, status_limits
from portal.signups import find_request, past_the_promise, waitlist_position


@bp.route("/status", methods=["GET", "POST"])
@status_limits
def status():
    """Check a request with its reference code and email, and ask for the invitation again."""
    if request.method != "POST":  # the blank form: the same for everyone but its CSRF token
        return blank_form_page("applicant/status.html", StatusForm, signup=None)
    form = StatusForm()
    signup_request = None
    resend_result = None
    if form.validate_on_submit():
        signup_request = find_request(form.reference_code.data, form.email.data)
        if signup_request is not None and form.action.data == "resend":
            resend_result = send_invitation_again(signup_request.id)
    state = signup_request.state if signup_request else None
    return render_template(
        "applicant/status.html",
        form=form,
        signup=signup_request,
        not_found=form.is_submitted() and not form.errors and signup_request is None,
        reason=REASONS.get(signup_request.decision_reason, "") if signup_request else "",
        resend_result=resend_result,
        join_token=join_token(signup_request.reference_code, signup_request.join_link_version)
        if state == RequestState.INVITED else None,
        waitlist_position=waitlist_position(signup_request) if state == RequestState.WAITLISTED else None,
        late=signup_request is not None and past_the_promise(signup_request),
        ResendResult=ResendResult,
    ), 400 if form.errors else 200


@bp.route("/join/<token>", methods=["GET", "POST"])
@join_limits
def join(token: str):
    """The invitation link: a page with the dates and one button, which records "enrolled" and
    sends the person on to the provider."""
    try:
        signup_request = request_for_join_token(token)
    except JoinLinkExpired:
        return render_template("applicant/join_closed.html", why="expired"), 410
    except JoinLinkReplaced:
        return render_template("applicant/join_closed.html", why="replaced"), 410
    except JoinLinkInvalid:
        return render_template("applicant/join_closed.html", why="invalid"), 404
    provider_url = current_program().provider_join_url
    if signup_request.state in JOINED_STATES:
        return redirect(provider_url, 303)  # joined already: this is just the way back to the courses
    if signup_request.state != RequestState.INVITED:
        why = "removed" if signup_request.state == RequestState.REMOVED else "not_open"
        return render_template("applicant/join_closed.html", why=why, signup=signup_request), 410
    form = JoinForm()
    if form.validate_on_submit() and accept_invitation(signup_request):
        return redirect(provider_url, 303)
    return render_template("applicant/join.html", form=form, signup=signup_request)
