"""Who may open a staff page: every view is for signed-in staff, some for administrators only."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from portal.models import StaffRole


def admin_required(view):
    """Program administrators only: help-desk staff get 403 (sign-in is asked for first)."""

    @wraps(view)
    @login_required
    def checked(*args, **kwargs):
        if current_user.role != StaffRole.ADMIN:
            abort(403)
        return view(*args, **kwargs)

    checked.admin_only = True  # the URL-map test reads it: every staff route is classified
    return checked
