"""Logging without applicants' data: no names, emails, phones, ZIP codes, join tokens or searches.

The first line of defence is what the code logs: reference codes and ids, never personal fields;
SQL parameters are hidden (`portal.database`). This module is the second: every record that reaches
the process's log handlers has email addresses, join-link tokens and query strings cut out, so an
exception message (an SMTP reply naming the recipient, a database error quoting a value) or a
request line cannot carry them either. gunicorn's own logs get the same (`portal.access_log`).
"""

import logging
import re

from flask import Flask

REDACTED = "[redacted]"
_PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), REDACTED),  # email addresses
    (re.compile(r"(/join/)[^\s/?#\"']+"), r"\1" + REDACTED),  # the join link's signed token
    (re.compile(r"(/[^\s?\"']*)\?[^\s\"']*"), r"\1?" + REDACTED),  # query strings (staff searches)
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Formats the record's message (and traceback) once, redacted, before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "redacted", False):
            record.msg = redact(record.getMessage())
            record.args = ()
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
            record.redacted = True
        return True


def add_redaction(handler: logging.Handler) -> None:
    if not any(isinstance(existing, RedactingFilter) for existing in handler.filters):
        handler.addFilter(RedactingFilter())


def configure_logging(app: Flask) -> None:
    """Before anything logs (Flask adds a handler of its own to app.logger when none is set up)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        add_redaction(handler)
