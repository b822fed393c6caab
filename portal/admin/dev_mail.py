"""Development only: the mail the local SMTP sink caught, for administrators.

Registered by `create_app` only when PORTAL_ENV=development, so in production the address does not
exist at all (it once showed help-desk staff live join links on a production-like setup).
"""

import mailbox
from email.header import decode_header, make_header
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template

from portal.admin.access import admin_required

bp = Blueprint("dev_mail", __name__, url_prefix="/admin/dev")


@bp.get("/mail")
@admin_required
def messages():
    sink = current_app.config.get("MAIL_SINK_DIR")
    if not sink:
        abort(404)  # a real relay is set: nothing was caught here
    caught = []
    if Path(sink, "cur").is_dir():
        box = mailbox.Maildir(sink, create=False)
        caught = sorted(box, key=lambda message: message.get_date() or 0, reverse=True)[:50]
    return render_template("admin/dev_mail.html", messages=[_readable(message) for message in caught])


def _readable(message: mailbox.MaildirMessage) -> dict:
    text = next((part for part in message.walk() if part.get_content_type() == "text/plain"), None)
    return {
        "to": message["To"],
        "subject": str(make_header(decode_header(message["Subject"] or ""))),
        "date": message["Date"],
        "body": text.get_payload(decode=True).decode(text.get_content_charset() or "utf-8") if text else "",
    }
