import io
import re
from datetime import timedelta
from functools import wraps

from flask import abort, make_response, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.admin import bp
from portal.admin.forms import LoginForm, SearchForm
from portal.admin.queries import count_requests_by_state, pending_requests, stale_requests, undelivered_emails
from portal.eligibility import REASONS
from portal.exports import find_export_file, list_export_files
from portal.extensions import login_manager
from portal.models import StaffRole, utcnow
from portal.notifications import REMOVAL_REASONS
from portal.programs import current_program
from portal.rate_limits import staff_sign_in_limits
from portal.seat_guard import seat_guard_status
from portal.seats import seats_left
from portal.signups import HOLD_REASONS, find_by_reference
from portal.staff import SignInOutcome, end_all_sessions, load_staff, sign_in

login_manager.login_view = "admin.login"
login_manager.login_message = None
login_manager.user_loader(load_staff)


@bp.route("/login", methods=["GET", "POST"])
@staff_sign_in_limits
def login():
    form = LoginForm()
    result = None
    if form.validate_on_submit():
        result = sign_in(form.email.data, form.password.data)
        if result.outcome == SignInOutcome.SIGNED_IN:
            login_user(result.staff)
            return redirect(_safe_next(request.args.get("next")))
    outcome = result.outcome if result else None
    locked = outcome == SignInOutcome.LOCKED
    status = {SignInOutcome.REFUSED: 401, SignInOutcome.LOCKED: 429}.get(outcome, 400 if form.errors else 200)
    response = make_response(render_template(
        "admin/login.html", form=form, failed=outcome == SignInOutcome.REFUSED,
        locked_until=utcnow() + timedelta(seconds=result.retry_after_seconds) if locked else None,
    ), status)
    if locked:
        response.headers["Retry-After"] = str(result.retry_after_seconds)
    return response


@bp.post("/logout")
@login_required
def logout():
    """Sign out everywhere: the account's session token changes, so every copy of the cookie ends."""
    end_all_sessions(current_user._get_current_object())
    logout_user()
    return redirect(url_for("admin.login"))


def admin_required(view):
    """Program administrators only: help-desk staff get 403 (sign-in is asked for first)."""

    @wraps(view)
    @login_required
    def checked(*args, **kwargs):
        if current_user.role != StaffRole.ADMIN:
            abort(403)
        return view(*args, **kwargs)

    return checked


@bp.get("/")
@login_required
def queue():
    form = SearchForm(request.args)
    search = form.q.data.strip() or None if form.validate() and form.q.data else None
    return render_template(
        "admin/queue.html",
        form=form,
        stale=stale_requests(search),
        pending=pending_requests(search),
        undelivered=undelivered_emails(search),
        search=search or "",
        counts=count_requests_by_state(),
        seats_left=seats_left(current_program()),
        seat_guard=seat_guard_status(),
    )


@bp.get("/requests/<reference_code>")
@login_required
def request_detail(reference_code: str):
    signup_request = find_by_reference(reference_code)
    if signup_request is None:
        abort(404)
    return render_template("admin/request.html", signup=signup_request,
                           reason=REASONS.get(signup_request.decision_reason, ""), hold_reasons=HOLD_REASONS,
                           removal_reason=REMOVAL_REASONS.get(signup_request.removal_reason, ""))


@bp.get("/exports")
@admin_required
def exports():
    return render_template("admin/exports.html", files=list_export_files())


@bp.get("/exports/<int:file_id>")
@admin_required
def export_download(file_id: int):
    export_file = find_export_file(file_id)
    if export_file is None:
        abort(404)
    response = send_file(io.BytesIO(export_file.content.encode()), mimetype="text/csv", as_attachment=True,
                         download_name=export_file.filename)
    response.headers["Cache-Control"] = "no-store"  # names and emails: no copies in caches
    return response


#: A path under /admin/ in plain URL characters: no scheme or host, no backslash, no "//", no
#: spaces or line breaks (a CR LF in `next` would otherwise reach the Location header).
_SAFE_NEXT = re.compile(r"/admin/(?!.*//)[A-Za-z0-9\-._~/?=&%+]*")


def _safe_next(target: str | None) -> str:
    """Only follow `next` within /admin/, never to another site; anything odd goes to the queue."""
    if target and _SAFE_NEXT.fullmatch(target):
        return target
    return url_for("admin.queue")
