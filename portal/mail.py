"""Flask-Mail with a connection timeout.

Flask-Mail 0.10 opens `smtplib.SMTP(host, port)` with no timeout, so a stalled relay would hang
a job forever (an open upstream issue). This subclass only adds the timeout; everything else is
Flask-Mail's own code.
"""

import smtplib

import flask_mail
from flask import current_app


class TimeoutConnection(flask_mail.Connection):
    def configure_host(self) -> smtplib.SMTP:
        timeout = current_app.config["MAIL_TIMEOUT_SECONDS"]
        state = self.mail
        if state.use_ssl:
            host = smtplib.SMTP_SSL(state.server, state.port, timeout=timeout)
        else:
            host = smtplib.SMTP(state.server, state.port, timeout=timeout)
        host.set_debuglevel(int(state.debug))
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host


class Mail(flask_mail.Mail):
    def connect(self) -> TimeoutConnection:
        return TimeoutConnection(current_app.extensions["mail"])


class Message(flask_mail.Message):
    """Flask-Mail's message with the subject left to the modern email policy.

    Flask-Mail pre-encodes a non-ASCII subject in RFC 2047 words of at most 76 characters, and the
    SMTP policy then refolds them, splitting a word: "capacitación" reached mail clients as
    "capacitaci ón". Setting the plain subject lets the policy encode and fold it correctly.
    """

    def _message(self):
        message = super()._message()
        del message["Subject"]
        message["Subject"] = self.subject
        return message
