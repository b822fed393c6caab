"""Staff sign-in and sign-out."""

import re
from datetime import timedelta

from flask import make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.admin import bp
from portal.admin.forms import LoginForm
from portal.extensions import login_manager
from portal.models import utcnow
from portal.rate_limits import staff_sign_in_limits
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


#: A path under /admin/ in plain URL characters: no scheme or host, no backslash, no "//", no
#: spaces or line breaks (a CR LF in `next` would otherwise reach the Location header).
_SAFE_NEXT = re.compile(r"/admin/(?!.*//)[A-Za-z0-9\-._~/?=&%+]*")


def _safe_next(target: str | None) -> str:
    """Only follow `next` within /admin/, never to another site; anything odd goes to the queue."""
    if target and _SAFE_NEXT.fullmatch(target):
        return target
    return url_for("admin.queue")
