"""Staff pages under /admin/: sign-in, the queue of pending and stale requests, a request's history."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

from portal.admin import routes  # noqa: E402,F401
