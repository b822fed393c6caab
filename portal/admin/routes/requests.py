"""A request's page, in staff words, and the actions on it.

Each action is a POST with its CSRF token and the timeline version the page showed; the ones that
cannot be undone (deny, withdraw, take the license back) and the ones that need typing (a new
address) have a page of their own first, which is the confirmation step. The work is done by
`portal.helpdesk`; a refused action comes back as a message and changes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from portal.admin import bp
from portal.admin.forms import (
    ActionForm,
    CorrectEmailForm,
    DenyForm,
    LanguageForm,
    NoteForm,
    NoteOptionalForm,
    RemoveForm,
    SettleForm,
)
from portal.admin.queries import request_for_staff
from portal.admin.wording import available_actions, situation, timeline
from portal.helpdesk import ActionRefused, timeline_version
from portal.helpdesk.closing import reenrol_request, remove_license_by_staff, withdraw_request
from portal.helpdesk.contact import LANGUAGE_NAMES, add_note, change_language, correct_email
from portal.helpdesk.decisions import activate_now, approve_request, deny_request
from portal.helpdesk.deliveries import resend_invitation, retry_email, settle_email
from portal.models import SignupRequest


def _signup_or_404(reference_code: str) -> SignupRequest:
    signup = request_for_staff(reference_code, current_user)
    if signup is None:
        abort(404)
    return signup


def _note(form) -> str:
    return (form.note.data or "").strip()


@dataclass(frozen=True)
class Action:
    form: type
    #: Does the work and returns the message for staff; raises ActionRefused.
    run: Callable
    #: The page that asks first (and holds the fields), or None: a button on the request's page.
    confirm_template: str | None = None


ACTIONS = {
    "approve": Action(NoteOptionalForm, lambda signup, form: approve_request(
        signup.id, current_user, seen_version=form.seen_version, note=_note(form))),
    "deny": Action(DenyForm, lambda signup, form: deny_request(
        signup.id, current_user, seen_version=form.seen_version, reason=form.reason.data, note=_note(form)),
        "admin/confirm_deny.html"),
    "activate": Action(ActionForm, lambda signup, form: activate_now(
        signup.id, current_user, seen_version=form.seen_version)),
    "resend-invitation": Action(ActionForm, lambda signup, form: resend_invitation(
        signup.id, current_user, seen_version=form.seen_version)),
    "correct-email": Action(CorrectEmailForm, lambda signup, form: correct_email(
        signup.id, current_user, seen_version=form.seen_version, new_email=form.email.data, note=_note(form)),
        "admin/correct_email.html"),
    "language": Action(LanguageForm, lambda signup, form: change_language(
        signup.id, current_user, seen_version=form.seen_version, language=form.language.data)),
    "note": Action(NoteForm, lambda signup, form: add_note(signup.id, current_user, text=form.text.data)),
    "withdraw": Action(NoteOptionalForm, lambda signup, form: withdraw_request(
        signup.id, current_user, seen_version=form.seen_version, note=_note(form)), "admin/confirm_withdraw.html"),
    "remove": Action(RemoveForm, lambda signup, form: remove_license_by_staff(
        signup.id, current_user, seen_version=form.seen_version, note=_note(form)), "admin/confirm_remove.html"),
    "reenrol": Action(NoteOptionalForm, lambda signup, form: reenrol_request(
        signup.id, current_user, seen_version=form.seen_version, note=_note(form))),
}


@bp.get("/requests/<reference_code>")
@login_required
def request_detail(reference_code: str):
    signup = _signup_or_404(reference_code)
    version = timeline_version(signup)
    return render_template(
        "admin/request.html", signup=signup, situation=situation(signup), timeline=timeline(signup),
        actions=available_actions(signup), version=version, language_names=LANGUAGE_NAMES,
        language_form=LanguageForm(formdata=None, version=version, language=signup.preferred_language),
        settle_form=SettleForm(formdata=None, version=version),
    )


@bp.route("/requests/<reference_code>/<action_name>", methods=["GET", "POST"])
@login_required
def request_action(reference_code: str, action_name: str):
    action = ACTIONS.get(action_name)
    if action is None or (request.method == "GET" and action.confirm_template is None):
        abort(404)
    signup = _signup_or_404(reference_code)
    if request.method == "GET":
        form = action.form(formdata=None, version=timeline_version(signup))
        return render_template(action.confirm_template, signup=signup, form=form, action_name=action_name)
    form = action.form()
    if not form.validate():
        if action.confirm_template:  # the fields are on that page: show it again, with what was typed
            return render_template(action.confirm_template, signup=signup, form=form, action_name=action_name), 422
        flash(_first_error(form), "error")
        return redirect(url_for("admin.request_detail", reference_code=signup.reference_code))
    try:
        result = action.run(signup, form)
    except ActionRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for("admin.request_detail", reference_code=signup.reference_code))
    message, code = result if isinstance(result, tuple) else (result, signup.reference_code)
    flash(message, "success")
    return redirect(url_for("admin.request_detail", reference_code=code), 303)


@bp.post("/requests/<reference_code>/emails/<int:email_id>/<action_name>")
@login_required
def email_action(reference_code: str, email_id: int, action_name: str):
    """Try a failed email again, or settle one whose fate nobody knows."""
    signup = _signup_or_404(reference_code)
    if email_id not in {email.id for email in signup.emails}:
        abort(404)
    form = SettleForm() if action_name == "settle" else ActionForm() if action_name == "retry" else None
    if form is None:
        abort(404)
    if not form.validate():
        flash(_first_error(form), "error")
        return redirect(url_for("admin.request_detail", reference_code=signup.reference_code))
    try:
        if action_name == "retry":
            message = retry_email(email_id, current_user, seen_version=form.seen_version)
        else:
            message = settle_email(email_id, current_user, seen_version=form.seen_version,
                                   settlement=form.settlement.data, note=_note(form))
    except ActionRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for("admin.request_detail", reference_code=signup.reference_code))
    flash(message, "success")
    return redirect(url_for("admin.request_detail", reference_code=signup.reference_code), 303)


def _first_error(form) -> str:
    if "version" in form.errors:
        return gettext("The form was incomplete. Nothing was changed: look at the request again, then act.")
    return next(str(errors[0]) for errors in form.errors.values())
