"""The files the pages load, and how they travel: small, compressed, and kept by browsers for a year.

`make` builds them (portal/assets/build.mjs) into static/dist/, each under a name that carries a
hash of its content, with .br and .gz copies compressed once at the best ratio. WhiteNoise serves
them ahead of Flask: the compressed copy the browser accepts, and, since a changed file gets a new
name, a cache of a year that browsers never revalidate. Templates ask `static_url("portal.css")`
for the current name. Pages are compressed on the fly by Flask-Compress, except staff pages, which
show a search term next to a CSRF token (compressing both together leaks the token: BREACH).
"""

import json
import re
from pathlib import Path

from flask import Flask, Response, current_app, request, send_from_directory, url_for
from whitenoise import WhiteNoise

from portal.extensions import compress

ONE_YEAR = 365 * 24 * 60 * 60
ONE_DAY = 24 * 60 * 60
#: For a file whose name changes with its content: a browser may keep it a year without asking again.
CACHE_FOR_A_YEAR = f"public, max-age={ONE_YEAR}, immutable"
FINGERPRINTED = re.compile(r"-[A-Z0-9]{8}\.[a-z0-9]+$")
#: Pages whose HTML is never compressed (see the module's docstring).
UNCOMPRESSED_BLUEPRINTS = {"admin"}


class StaticFilesNotBuilt(RuntimeError):
    """The pages need the built files; `make` builds them."""


def init_app(app: Flask) -> None:
    built = Path(app.static_folder) / "dist"
    manifest = built / "manifest.json"
    app.extensions["static_files"] = json.loads(manifest.read_text()) if manifest.exists() else None
    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=built,
        prefix=f"{app.static_url_path}/dist/",
        max_age=ONE_DAY,
        allow_all_origins=False,
        add_headers_function=_cache_fingerprinted_files_for_a_year,
    )
    app.jinja_env.globals["static_url"] = static_url
    app.add_url_rule("/favicon.ico", endpoint="favicon", view_func=_favicon)
    compress.init_app(app)
    app.after_request(_compress_page)


def static_url(name: str) -> str:
    """The address of a built file by its source name, e.g. "portal.css" -> /static/dist/portal-1A2B3C4D.css."""
    manifest = current_app.extensions["static_files"]
    if manifest is None:
        raise StaticFilesNotBuilt(
            f"{current_app.static_folder}/dist/manifest.json is missing: run `make` to build the static files.")
    return url_for("static", filename=f"dist/{manifest[name]}")


def _cache_fingerprinted_files_for_a_year(headers, path: str, url: str) -> None:
    if FINGERPRINTED.search(url):
        headers["Cache-Control"] = CACHE_FOR_A_YEAR


def _favicon() -> Response:
    """Browsers ask for /favicon.ico when a document names no icon (pages name the SVG one)."""
    return send_from_directory(Path(current_app.static_folder) / "dist", "favicon.ico", max_age=ONE_DAY)


def _compress_page(response: Response) -> Response:
    if request.blueprint in UNCOMPRESSED_BLUEPRINTS:
        return response
    if not 400 <= response.status_code < 500:
        return compress.after_request(response)
    # Flask-Compress leaves every answer but a 2xx alone; a form with errors (400), "already signed
    # up" (409) and a dead link (410) are pages people read: compress them as a 200 would be.
    status = response.status_code
    response.status_code = 200
    response = compress.after_request(response)
    response.status_code = status
    return response
