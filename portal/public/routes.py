import logging
import time

from flask import g, redirect, render_template, request, session, url_for

from portal.bot_check import bot_signs, form_opened_stamp, is_valid_stamp
from portal.clock import program_today
from portal.database import DATABASE_UNAVAILABLE
from portal.eligibility import REASONS, Outcome
from portal.i18n import browser_language
from portal.page_cache import blank_form_page, cached_page
from portal.programs import current_program
from portal.public import bp
from portal.public.forms import SignupForm, signup_answers
from portal.rate_limits import signup_limits
from portal.seats import seats_left
from portal.signups import Hold, submit_signup

log = logging.getLogger(__name__)

#: How long the "we received your request" page shows the applicant's answer and email.
RECEIVED_PAGE_SECONDS = 30 * 60


@bp.record_once
def _register_root(state):
    state.app.add_url_rule("/", "choose_language", choose_language)


def choose_language():
    """`/` sends a visitor to the language their browser asks for."""
    return redirect(url_for("public.home", lang_code=browser_language()))


@bp.get("/")
def home():
    issuing = current_program().issues_licenses_on(program_today())
    return cached_page("public/home.html", vary=(issuing,), issuing=issuing)


@bp.get("/help")
def help_page():
    """Questions people ask, answered from the program file: New York and Massachusetts differ."""
    return cached_page("public/help.html")


@bp.get("/privacy")
def privacy():
    return cached_page("public/privacy.html", retention_days=current_program().retention_days)


@bp.get("/accessibility")
def accessibility():
    return cached_page("public/accessibility.html")


@bp.route("/signup", methods=["GET", "POST"])
@signup_limits
def signup():
    if not current_program().issues_licenses_on(program_today()):
        return render_template("public/closed.html")  # say so before anyone fills in the form
    if request.method != "POST":  # the blank form: the same for everyone but its hidden stamps
        return blank_form_page("public/signup.html", _blank_signup_form, fresh={"form_opened": form_opened_stamp})
    form = SignupForm()
    if form.validate_on_submit():
        try:
            receipt = submit_signup(signup_answers(form), hold=_bot_hold(form))
        except DATABASE_UNAVAILABLE:  # nothing was saved: show the answers again to send later
            log.warning("Sign-up not saved: the database did not answer")
            return render_template("public/signup.html", form=form, unavailable=True), 503
        session["signup_receipt"] = {"email": receipt.email, "outcome": receipt.outcome, "reason": receipt.reason,
                                     "time": time.time()}
        return redirect(url_for("public.signup_received"))
    if not is_valid_stamp(form.form_opened.data):
        form.form_opened.data = form_opened_stamp()  # kept when the form comes back with errors
    return render_template("public/signup.html", form=form), 400


def _blank_signup_form() -> SignupForm:
    form = SignupForm()
    form.preferred_language.data = g.lang_code  # emails in the language of the page, unless changed
    return form


def _bot_hold(form: SignupForm) -> Hold | None:
    signs = bot_signs(form.form_opened.data, form.website.data)
    if signs is None:
        return None
    log.info("Sign-up held for review: %s", signs)
    return Hold("bot_check", signs, "bot check")


@bp.get("/signup/received")
def signup_received():
    """The answer to a sign-up: the same for an address that already had a request as for a new
    one, so it shows only what the answers decide, and says where the reference code is."""
    receipt = session.get("signup_receipt")
    if receipt and time.time() - receipt.get("time", 0) > RECEIVED_PAGE_SECONDS:
        session.pop("signup_receipt")  # a shared computer: the next person must not see this one's details
        receipt = None
    if receipt is None:
        return redirect(url_for("public.signup"))
    return render_template(
        "public/received.html",
        email=receipt["email"],
        denied=receipt["outcome"] == Outcome.DENIED,
        needs_review=receipt["outcome"] == Outcome.NEEDS_REVIEW,
        reason=REASONS.get(receipt["reason"], ""),
        # Said before the activation job runs: with no spot left, the invitation will not come in minutes.
        no_spots_left=receipt["outcome"] == Outcome.APPROVED and seats_left(current_program()) == 0,
    )
