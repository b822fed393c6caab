"""The program dashboard: how the program is doing, for every staff member (their areas only)."""

from flask import render_template
from flask_login import current_user, login_required

from portal.admin import bp
from portal.admin.dashboard import dashboard_figures, signups_chart
from portal.helpdesk.contact import LANGUAGE_NAMES
from portal.models import RequestState
from portal.programs import current_program
from portal.seat_guard import seat_guard_status


@bp.get("/dashboard")
@login_required
def dashboard():
    figures = dashboard_figures(current_user)
    program = current_program()
    return render_template("admin/dashboard.html", figures=figures, chart=signups_chart(figures.signups_per_day),
                           state_counts=[(state, figures.by_state.get(state.value, 0)) for state in RequestState],
                           language_names=LANGUAGE_NAMES,
                           area_names=[program.area_name(code) for code in current_user.limited_to_areas or ()],
                           seat_guard=seat_guard_status())
