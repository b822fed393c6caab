"""Public pages: the landing page and the sign-up form, under /en/ and /es/."""

from flask import Blueprint

from portal.i18n import add_language_prefix

bp = Blueprint("public", __name__, url_prefix="/<lang_code>", template_folder="templates")
add_language_prefix(bp)

from portal.public import routes  # noqa: E402,F401  (registers the views)
