"""Applicant self-service: check a request's status with its reference code and email."""

from flask import Blueprint

from portal.i18n import add_language_prefix

bp = Blueprint("applicant", __name__, url_prefix="/<lang_code>", template_folder="templates")
add_language_prefix(bp)

from portal.applicant import routes  # noqa: E402,F401
