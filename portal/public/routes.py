import logging
import time

from flask import g, redirect, render_template, session, url_for

from portal.clock import program_today
from portal.database import DATABASE_UNAVAILABLE
from portal.eligibility import REASONS
from portal.forms import normalize_phone
from portal.i18n import browser_language
from portal.models import RequestState
from portal.programs import current_program
from portal.public import bp
from portal.public.forms import SignupForm
from portal.signups import DuplicateSignup, SignupAnswers, create_signup, find_by_reference

log = logging.getLogger(__name__)

#: How long the "we received your request" page shows the applicant's code and email.
RECEIVED_PAGE_SECONDS = 30 * 60


@bp.record_once
def _register_root(state):
    state.app.add_url_rule("/", "choose_language", choose_language)


def choose_language():
    """`/` sends a visitor to the language their browser asks for."""
    return redirect(url_for("public.home", lang_code=browser_language()))


@bp.get("/")
def home():
    return render_template("public/home.html", issuing=current_program().issues_licenses_on(program_today()))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if not current_program().issues_licenses_on(program_today()):
        return render_template("public/closed.html")  # say so before anyone fills in the form
    form = SignupForm()
    if not form.is_submitted():
        form.preferred_language.data = form.preferred_language.data or g.lang_code
    if form.validate_on_submit():
        try:
            signup_request = create_signup(_answers(form))
        except DuplicateSignup:
            return render_template("public/already_signed_up.html", email=form.email.data), 409
        except DATABASE_UNAVAILABLE:  # nothing was saved: show the answers again to send later
            log.warning("Sign-up not saved: the database did not answer")
            return render_template("public/signup.html", form=form, unavailable=True), 503
        session["signup_reference"] = signup_request.reference_code
        session["signup_time"] = time.time()
        return redirect(url_for("public.signup_received"))
    status = 400 if form.is_submitted() else 200
    return render_template("public/signup.html", form=form), status


@bp.get("/signup/received")
def signup_received():
    reference = session.get("signup_reference")
    if reference and time.time() - session.get("signup_time", 0) > RECEIVED_PAGE_SECONDS:
        reference = None  # a shared computer: the next person must not see this one's details
    signup_request = find_by_reference(reference) if reference else None
    if signup_request is None:
        return redirect(url_for("public.signup"))
    return render_template(
        "public/received.html",
        signup=signup_request,
        denied=signup_request.state == RequestState.DENIED,
        needs_review=signup_request.state == RequestState.NEEDS_REVIEW,
        reason=REASONS.get(signup_request.decision_reason, ""),
    )


def _answers(form: SignupForm) -> SignupAnswers:
    return SignupAnswers(
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        email=form.email.data,
        phone=normalize_phone(form.phone.data) if form.phone.data else None,
        zip_code=form.zip_code.data,
        preferred_language=form.preferred_language.data,
        employment_status=form.employment_status.data,
        covid_related=form.covid_related.data,
        layoff_notice=form.layoff_notice.data == "yes",
        case_id=form.case_id.data,
        agency_staff=form.agency_staff.data == "yes",
    )
