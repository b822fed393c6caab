"""The staff home, the work queues and search: finding the request a caller means."""

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.admin import bp
from portal.admin.forms import SearchForm
from portal.admin.queries import (
    WORK_QUEUES,
    Filters,
    exact_reference_code,
    list_count_limit,
    request_for_staff,
    search_page,
    work_queue_counts,
    work_queue_page,
)
from portal.admin.wording import EMAIL_NAMES
from portal.programs import current_program
from portal.seat_guard import seat_guard_status
from portal.seats import seats_left


@bp.context_processor
def list_pages():
    def list_url(after: str | None = None) -> str:
        """This list again, with the same search and filters, from the start or after a row."""
        arguments = {key: value for key, value in request.args.items() if key != "after" and value}
        if after:
            arguments["after"] = after
        return url_for(request.endpoint, **(request.view_args or {}), **arguments)

    return {"list_url": list_url, "email_names": EMAIL_NAMES, "count_limit": list_count_limit()}


@bp.get("/")
@login_required
def queue():
    """What waits for the help desk, each queue with its count, and the search box."""
    return render_template(
        "admin/queue.html",
        form=SearchForm(formdata=None),
        queues=WORK_QUEUES.values(),
        queue_counts=work_queue_counts(current_user),
        seats_left=seats_left(current_program()),
        seat_guard=seat_guard_status(),
    )


@bp.get("/queues/<slug>")
@login_required
def work_queue(slug: str):
    work_queue = WORK_QUEUES.get(slug)
    if work_queue is None:
        abort(404)
    form = SearchForm(request.args, areas=current_user.limited_to_areas)
    filters = form.filters() if form.validate() else Filters()
    page = work_queue_page(work_queue, current_user, filters, request.args.get("after"))
    return render_template("admin/work_queue.html", work_queue=work_queue, page=page, form=form,
                           queues=WORK_QUEUES.values())


@bp.get("/requests")
@login_required
def search():
    """Every request in every state: by code (an exact one opens it), email, name, phone or case id."""
    form = SearchForm(request.args, areas=current_user.limited_to_areas)
    valid = form.validate()
    term = (form.q.data or "").strip() if valid else ""
    if term and "after" not in request.args:
        code = exact_reference_code(term)
        if code and request_for_staff(code, current_user) is not None:
            return redirect(url_for("admin.request_detail", reference_code=code))
    filters = form.filters() if valid else Filters()
    page = search_page(term, current_user, filters, request.args.get("after")) if valid else None
    return render_template("admin/search.html", form=form, page=page, term=term)
