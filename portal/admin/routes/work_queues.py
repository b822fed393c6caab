"""The staff home: what is waiting, what is stuck, and search."""

from flask import render_template, request
from flask_login import login_required

from portal.admin import bp
from portal.admin.forms import SearchForm
from portal.admin.queries import count_requests_by_state, pending_requests, stale_requests, undelivered_emails
from portal.programs import current_program
from portal.seat_guard import seat_guard_status
from portal.seats import seats_left


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
