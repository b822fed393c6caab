"""Staff pages under /admin/ (the views are in `routes/`, one module per topic)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

from portal.admin import routes  # noqa: E402,F401


@bp.record_once
def _mount_queue_monitor(state):
    """rq-dashboard comes with the staff pages, on every app they are registered on."""
    from portal.admin.queue_monitor import mount_queue_monitor

    mount_queue_monitor(state.app)
