"""Staff pages under /admin/ (the views are in `routes/`, one module per topic)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

from portal.admin import routes  # noqa: E402,F401
