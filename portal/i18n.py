"""Languages: the URL prefix (/en/, /es/) decides, then the browser's Accept-Language."""

from flask import Blueprint, Flask, abort, current_app, g, has_request_context, request, url_for


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if getattr(g, "lang_code", None):
        return g.lang_code
    return browser_language()


def browser_language() -> str:
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"


def add_language_prefix(blueprint: Blueprint) -> None:
    """Make a blueprint's routes live under /<lang_code>/ for each language we have (others: 404)."""

    @blueprint.url_value_preprocessor
    def take_language(_endpoint, values):
        lang_code = (values or {}).pop("lang_code", None)
        if lang_code not in current_app.config["LANGUAGES"]:
            abort(404)
        g.lang_code = lang_code

    @blueprint.url_defaults
    def keep_language(_endpoint, values):
        if "lang_code" not in values and getattr(g, "lang_code", None):
            values["lang_code"] = g.lang_code


def init_app(app: Flask) -> None:
    @app.context_processor
    def language_links():
        """The current language and a link to this same page in the other one."""
        current = select_locale()
        other = "es" if current == "en" else "en"
        switch_url = None
        if has_request_context() and request.endpoint and getattr(g, "lang_code", None):
            switch_url = url_for(request.endpoint, **(request.view_args or {}), lang_code=other)
        return {"current_language": current, "other_language": other, "switch_language_url": switch_url}
