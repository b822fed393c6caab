"""Staff pages under /admin/ (the views are in `routes/`, one module per topic)."""

from flask import Blueprint

from portal.forms import readable_phone

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
bp.add_app_template_filter(readable_phone, "phone_number")

from portal.admin import routes  # noqa: E402,F401


@bp.record_once
def _mount_queue_monitor(state):
    """rq-dashboard comes with the staff pages, on every app they are registered on."""
    from portal.admin.queue_monitor import mount_queue_monitor

    mount_queue_monitor(state.app)
