"""The portal's error pages: the only ones it shows, in the visitor's language, with a way on.

Every HTTP error (400, 403, 404, 405, 410, 413, 429, 500, 503 and any other) is rendered here with
the site's layout, in the language of the URL prefix (/en/, /es/) or else the browser's, for public
and staff URLs alike. A database that does not answer is a 503 ("nothing was saved, try again"),
never a 500. The pages read nothing from the database, so they render while it is down.
"""

import logging

from flask import Flask, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from portal.database import DATABASE_UNAVAILABLE

log = logging.getLogger(__name__)

#: Heading and explanation of each error page; other codes get the general one.
MESSAGES = {
    400: (_l("Something in that request was not right"),
          _l("Go back, reload the page and try again.")),
    403: (_l("You do not have access to this page"),
          _l("If you think you should, ask the program's administrator.")),
    404: (_l("We cannot find this page"),
          _l("The address may be mistyped, or the page may have moved. Start again from the home page.")),
    405: (_l("This page cannot be used that way"),
          _l("Go back to the page you came from and use its buttons and links.")),
    410: (_l("This page is no longer here"),
          _l("Start again from the home page.")),
    413: (_l("What you sent is too large"),
          _l("The form was larger than this site accepts. Go back and send it again with shorter answers.")),
    429: (_l("Too many tries in a short time"),
          _l("Please wait a few minutes, then try again.")),
    500: (_l("Something went wrong on our side"),
          _l("It was not anything you did. Please try again in a few minutes.")),
    503: (_l("This service is not available right now"),
          _l("Nothing was saved. Please try again in a few minutes.")),
}
GENERAL_MESSAGE = (_l("Something went wrong"), _l("Please go back and try again."))
CSRF_MESSAGE = (_l("This form has expired"),
                _l("For your safety, forms stop working after a while or when cookies are blocked. "
                   "Go back, reload the page and send it again."))

#: The last resort, when even the error page cannot be rendered: both languages, no template.
BARE_PAGE = ("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Error</title>"
             "<h1>Something went wrong. Please try again in a few minutes.</h1>"
             "<p lang=\"es\">Algo salió mal. Vuelva a intentarlo en unos minutos.</p>"
             "<p><a href=\"/\">Home / Inicio</a></p></html>")


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_http_error)
    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, render_database_unavailable)


def render_database_unavailable(error: Exception):
    log.warning("Database unavailable: %s", type(getattr(error, "orig", None) or error).__name__)
    return render_http_error(ServiceUnavailable())


def render_http_error(error: HTTPException):
    if error.code is None:
        return error
    if isinstance(error, InternalServerError) and getattr(error, "original_exception", None) is not None:
        if isinstance(error.original_exception, DATABASE_UNAVAILABLE):
            return render_database_unavailable(error.original_exception)
    use_language_of_path()
    heading, explanation = CSRF_MESSAGE if isinstance(error, CSRFError) else MESSAGES.get(error.code, GENERAL_MESSAGE)
    try:
        body = render_template("error.html", code=error.code, heading=heading, explanation=explanation,
                               staff_page=request.path.startswith("/admin"))
    except Exception:  # the page itself failed (a broken template, a catalog): still no framework page
        log.exception("Could not render the error page for %s", error.code)
        body = BARE_PAGE
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    return body, error.code, headers  # keeps Allow (405), Retry-After (429), ...


def use_language_of_path() -> None:
    """A URL that matched no route still says its language in its prefix (/es/…)."""
    if g.get("lang_code"):
        return
    prefix = request.path.strip("/").split("/", 1)[0]
    if prefix in current_app.config["LANGUAGES"]:
        g.lang_code = prefix
        refresh()  # a locale chosen earlier in this request from the browser gives way
