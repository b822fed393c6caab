"""The portal's own error pages: translated, in the site's layout, with a way on, for every error.

Before, a bad method or a missing page got Werkzeug's bare English page even under /es/, and a
100 MB form field was read into memory and accepted.
"""

import pytest
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import BadRequest, Gone, TooManyRequests

from portal.models import StaffRole
from tests.conftest import csrf_token
from tests.factories import FORM_DATA, make_staff, sign_in

HEADINGS = {
    400: ("Something in that request was not right", "Algo en esa solicitud no estaba bien"),
    403: ("You do not have access to this page", "Usted no tiene acceso a esta página"),
    404: ("We cannot find this page", "No encontramos esta página"),
    405: ("This page cannot be used that way", "Esta página no se puede usar de esa manera"),
    410: ("This page is no longer here", "Esta página ya no está disponible"),
    413: ("What you sent is too large", "Lo que envió es demasiado grande"),
    429: ("Too many tries in a short time", "Demasiados intentos en poco tiempo"),
    500: ("Something went wrong on our side", "Algo falló de nuestro lado"),
    503: ("This service is not available right now", "Este servicio no está disponible en este momento"),
}
WERKZEUG_WORDS = ["The requested URL", "The method is not allowed", "Internal Server Error", "Request Entity Too Large",
                  "Too Many Requests", "Service Unavailable", "Bad Request"]


@pytest.fixture
def failing_app(app):
    """The app with routes that fail the ways other parts of the app (and Flask-Limiter) do."""

    def fail(code: int):
        if code == 400:
            raise BadRequest()
        if code == 410:
            raise Gone()
        if code == 429:
            raise TooManyRequests(retry_after=60)  # what Flask-Limiter raises (its RateLimitExceeded is one)
        if code == 503:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        raise RuntimeError("a bug")

    for language in ("en", "es"):
        app.add_url_rule(f"/{language}/failing/<int:code>", f"failing_{language}", fail)
    app.add_url_rule("/admin/failing/<int:code>", "failing_admin", fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a bug is a 500 page, not a traceback
    return app


def make_error(client, code: int, language: str):
    """The request that gets `code` from the real app, under /<language>/."""
    if code == 404:
        return client.get(f"/{language}/no-such-page")
    if code == 405:
        return client.put(f"/{language}/signup")
    if code == 413:
        return client.post(f"/{language}/signup", data={**FORM_DATA, "extra": "x" * (2 * 1024 * 1024)})
    return client.get(f"/{language}/failing/{code}")


def assert_error_page(response, code: int, language: str):
    html = response.get_data(as_text=True)
    assert response.status_code == code
    assert response.mimetype == "text/html"
    assert f'<html lang="{language}">' in html
    assert HEADINGS[code][0 if language == "en" else 1] in html
    assert 'class="usa-skipnav"' in html and "portal-footer" in html  # the site's layout
    home = "/en/" if language == "en" else "/es/"
    assert f'href="{home}"' in html  # a way on
    assert "mailto:" in html  # and somebody to ask
    assert not [word for word in WERKZEUG_WORDS if word in html]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("code", [400, 404, 405, 410, 413, 429, 500, 503])
def test_every_public_error_page_is_ours_in_the_language_of_the_address(failing_app, code, language):
    client = failing_app.test_client()
    # The browser asks for the other language: the address decides.
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es" if language == "en" else "en"
    assert_error_page(make_error(client, code, language), code, language)


def test_error_pages_keep_the_headers_their_status_needs(failing_app):
    client = failing_app.test_client()
    assert set(client.put("/es/signup").headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert client.get("/es/failing/429").headers["Retry-After"] == "60"


@pytest.mark.parametrize("language", ["en", "es"])
def test_staff_and_unprefixed_addresses_answer_in_the_browsers_language(failing_app, language):
    with failing_app.app_context():
        make_staff(role=StaffRole.HELPDESK)
    client = failing_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = f"{language},en;q=0.5"
    assert_error_page(client.get("/not/a/page/here"), 404, language)
    assert_error_page(client.get("/admin/failing/500"), 500, language)
    sign_in(client)
    forbidden = client.get("/admin/exports")  # administrators only
    assert_error_page(forbidden, 403, language)
    assert 'href="/admin/"' in forbidden.get_data(as_text=True)  # the help desk's own way on


def test_an_expired_form_says_so_and_how_to_go_on(client):
    client.get("/es/signup")
    response = client.post("/es/signup", data={**FORM_DATA, "csrf_token": "not-the-one"})
    assert response.status_code == 400
    assert "Este formulario venció" in response.get_data(as_text=True)


def test_a_body_past_the_limit_is_refused_before_it_is_read(client, app):
    token = csrf_token(client, "/en/signup")
    response = client.post("/en/signup", data={**FORM_DATA, "csrf_token": token, "extra": "x" * (100 * 1024 * 1024)})
    assert response.status_code == 413
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024
    # A form of many tiny fields is capped too, and an honest form still goes through.
    many = client.post("/en/signup", data={**FORM_DATA, "csrf_token": token, **{f"f{n}": "" for n in range(200)}},
                       content_type="multipart/form-data")
    assert many.status_code == 413
    assert client.post("/en/signup", data={**FORM_DATA, "csrf_token": token}).status_code == 302
