"""Staff-assisted sign-up: a customer on the phone or at a career center, entered by staff."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.admin import bp
from portal.admin.forms import StaffSignupForm
from portal.admin.queries import visible_to
from portal.clock import program_today
from portal.database import DATABASE_UNAVAILABLE
from portal.extensions import db
from portal.models import SignupRequest
from portal.programs import current_program
from portal.public.forms import signup_answers
from portal.signups import DuplicateSignup, create_signup


@bp.route("/signups/new", methods=["GET", "POST"])
@login_required
def new_signup():
    """The public form's questions and rules; the request records who entered it, and that the
    customer gave them the attestation. A second open request for the mailbox is refused, and staff
    see the first one (they are not a stranger probing who applied)."""
    program = current_program()
    if not program.issues_licenses_on(program_today()):
        return render_template("admin/signup_closed.html")
    form = StaffSignupForm()
    duplicate = None
    if form.validate_on_submit():
        area = program.area_for_zip(form.zip_code.data)
        limited_to = current_user.limited_to_areas
        if limited_to is not None and area not in limited_to:
            form.zip_code.errors.append(gettext(
                "This ZIP code is outside your local areas: a colleague of that area must enter it."))
        else:
            try:
                signup = create_signup(signup_answers(form), entered_by=current_user)
            except DuplicateSignup as found:
                duplicate = _visible_request(found.request_id)
                form.email.errors.append(gettext("This email address already has an open request."))
            except DATABASE_UNAVAILABLE:
                return render_template("admin/signup.html", form=form, unavailable=True), 503
            else:
                flash(gettext("Signed up as %(code)s. Give the customer this reference code; the emails go to "
                              "%(email)s.", code=signup.reference_code, email=signup.email), "success")
                return redirect(url_for("admin.request_detail", reference_code=signup.reference_code), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("admin/signup.html", form=form, duplicate=duplicate), status


def _visible_request(request_id: int) -> SignupRequest | None:
    return db.session.scalar(visible_to(select(SignupRequest).where(SignupRequest.id == request_id), current_user))

