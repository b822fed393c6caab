"""rq-dashboard, the job queue's monitor, mounted at /admin/rq for administrators only.

rq-dashboard has no sign-in of its own, so every one of its routes is checked here before its own
code runs: anonymous visitors go to the sign-in page, help-desk staff get 403. Its buttons post by
script with the CSRF token it reads from a `_csrf_token` cookie: the portal sets that cookie (for
/admin/rq only) to its own Flask-WTF token, so its posts are checked like every other form instead of
being exempted. Its pages carry inline script and style, so the Content-Security-Policy allows them
under /admin/rq, and only there.
"""

from functools import wraps

import rq_dashboard
from flask import Flask, abort, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from rq_dashboard.web import setup_rq_connection

from portal.extensions import login_manager
from portal.headers import content_security_policy
from portal.models import StaffRole
from portal.programs import load_program

URL_PREFIX = "/admin/rq"
BLUEPRINT_NAME = rq_dashboard.blueprint.name
#: The cookie rq-dashboard's script reads its CSRF token from.
CSRF_COOKIE = "_csrf_token"


def mount_queue_monitor(app: Flask) -> None:
    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", app.config["REDIS_URL"])
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=URL_PREFIX)
    setup_rq_connection(app)
    app.before_request(_administrators_only)
    app.after_request(_hand_over_csrf_token)
    policy = queue_monitor_policy(load_program(app.config["PORTAL_PROGRAM"]).provider_join_url)
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.startswith(BLUEPRINT_NAME + "."):
            app.view_functions[endpoint] = _with_policy(view, policy)


def queue_monitor_policy(provider_join_url: str) -> dict:
    """The portal's policy, with the inline script and style rq-dashboard's pages need."""
    policy = content_security_policy(provider_join_url)
    return {**policy, "script-src": "'self' 'unsafe-inline'", "style-src": "'self' 'unsafe-inline'"}


def _with_policy(view, policy: dict):
    """The view, marked the way Flask-Talisman reads per-view options (its own decorator's mark), in
    this app only (the view functions are rq-dashboard's, shared by every app)."""

    @wraps(view)
    def monitored(*args, **kwargs):
        return view(*args, **kwargs)

    monitored.talisman_view_options = {"content_security_policy": policy}
    monitored.admin_only = True  # `_administrators_only` checks it first; the URL-map test reads the mark
    return monitored


#: rq-dashboard's routes that change something but also answer GET (a link could requeue every failed
#: job): the portal lets them act on POST only, which carries the CSRF token.
_POST_ONLY = {f"{BLUEPRINT_NAME}.requeue_all"}


def _administrators_only():
    if request.blueprint != BLUEPRINT_NAME:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role != StaffRole.ADMIN:
        abort(403)
    if request.endpoint in _POST_ONLY and request.method != "POST":
        abort(405)
    return None


def _hand_over_csrf_token(response):
    if request.blueprint == BLUEPRINT_NAME and current_user.is_authenticated and response.mimetype == "text/html":
        response.set_cookie(CSRF_COOKIE, generate_csrf(), path=URL_PREFIX, samesite="Strict",
                            secure=request.is_secure, httponly=False)  # its script must read it
    return response
