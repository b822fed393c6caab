"""Public pages that are the same for everyone who reads them in one language on one day, rendered
once and kept for a short while (PAGE_CACHE_SECONDS; 0: never) in each web process.

Why: rendering was nearly all the work of these requests. The blank sign-up form took about 6 ms
(its WTForms widgets and some 90 translations), the home page about 1.4 ms; a kept page costs a
dictionary look-up and, for a form, two string replacements.

The key is the endpoint (it also decides the link to the other language), the language, the
script root every link starts with, the program and its today, and what the view adds (`vary`,
e.g. whether the program issues licenses today). A kept page must show nothing else from the
request: no `now`, no query string, nothing from the session, nothing personal.

A blank form is kept with placeholders where each visitor's values go: the CSRF token (Flask-WTF
signs a secret kept in the visitor's session) and the hidden fields the view names (the sign-up
form's signed opening time). Each answer fills in fresh ones; `generate_csrf()` puts the secret in
the session cookie as rendering the form would. Only a plain GET comes from here: a form sent back
(with errors or not) and every page with anything personal on it are rendered by their views.
"""

import threading
import time
from collections.abc import Callable

from flask import current_app, render_template, request
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import escape

from portal.clock import program_today
from portal.i18n import select_locale

#: The pages of one app, by key: (when it goes stale, by time.monotonic(), the HTML).
_EXTENSION = "page_cache"
_lock = threading.Lock()

#: Stand-ins for a visitor's own values in a kept page (plain ASCII, so HTML escaping leaves them be).
CSRF_PLACEHOLDER = "page-cache-placeholder-csrf-token"


def field_placeholder(name: str) -> str:
    return f"page-cache-placeholder-{name}"


def cached_page(template: str, *, vary: tuple = (), **context) -> str:
    """`template` rendered with `context` (which must hold nothing per visitor); `vary`: what else
    the page depends on besides the key every page has."""
    return _page(template, vary, context, make_form=None, fresh={})


def blank_form_page(template: str, make_form: Callable[[], FlaskForm], *, vary: tuple = (),
                    fresh: dict[str, Callable[[], str]] | None = None, **context) -> str:
    """`template` showing the blank form `make_form()` builds, as `form`. Each answer gets a new
    CSRF token, and in each hidden field named in `fresh` the value its function gives."""
    return _page(template, vary, context, make_form=make_form, fresh=fresh or {})


def _page(template: str, vary: tuple, context: dict, make_form: Callable[[], FlaskForm] | None,
          fresh: dict[str, Callable[[], str]]) -> str:
    seconds = current_app.config["PAGE_CACHE_SECONDS"]
    if seconds <= 0 or request.method not in ("GET", "HEAD"):  # a form sent back is the sender's own
        return _render(template, context, make_form, fresh, placeholders=False)
    key = (request.endpoint, select_locale(), request.script_root, current_app.config["PORTAL_PROGRAM"],
           program_today(), *vary)
    pages = current_app.extensions.setdefault(_EXTENSION, {})
    now = time.monotonic()
    kept = pages.get(key)
    if kept is None or kept[0] <= now:
        kept = (now + seconds, _render(template, context, make_form, fresh, placeholders=True))
        with _lock:
            for stale in [other for other, (until, _html) in pages.items() if until <= now]:
                del pages[stale]  # past their time, e.g. yesterday's
            pages[key] = kept
    html = kept[1]
    if make_form is None:
        return html
    html = html.replace(CSRF_PLACEHOLDER, escape(generate_csrf()))
    for name, value in fresh.items():
        html = html.replace(field_placeholder(name), escape(value()))
    return html


def _render(template: str, context: dict, make_form: Callable[[], FlaskForm] | None,
            fresh: dict[str, Callable[[], str]], placeholders: bool) -> str:
    if make_form is not None:
        form = make_form()  # its CSRF field asks generate_csrf() already: the session gets its secret
        if placeholders:
            form.csrf_token.current_token = CSRF_PLACEHOLDER
        for name, value in fresh.items():
            form[name].data = field_placeholder(name) if placeholders else value()
        context = {**context, "form": form}
    return render_template(template, **context)
