"""Flask-Mail with RFC 5321's timeouts, one for each step of the SMTP conversation.

Flask-Mail 0.10 opens `smtplib.SMTP(host, port)` with no timeout at all (an open upstream issue),
and smtplib knows only one timeout for the whole conversation. RFC 5321 (section 4.5.3.2) gives a
client a timeout per step instead: 5 minutes for the greeting, MAIL and RCPT, 2 for the answer to
DATA, 3 for each block of the message, and 10 for the answer after the message's final ".",
because a relay may do much of its work (filtering, storing) before it answers that one.

That last wait is special. Once the final "." is sent the relay may already have the message: if
its answer never comes (a timeout, a dropped connection), nobody knows whether it will be
delivered. `DeliveryOutcomeUnknown` says so, and the caller must not send the email again
automatically (the applicant could get it twice); staff decide.

A process keeps its connection to the relay open from one message to the next (a worker sends
thousands an hour; a new TCP connection, greeting and EHLO each time cost more than the message).
`Mail.send` reopens it when it was idle too long, and tries once more on a fresh connection when a
kept one turns out to be closed before the relay took anything; never after the final ".".
"""

import os
import re
import smtplib
import threading
import time
from dataclasses import dataclass

import flask_mail
from flask import current_app

#: The most commands a conversation sends besides DATA: EHLO, STARTTLS, EHLO, AUTH (two steps), MAIL,
#: RCPT (one recipient a message), QUIT.
_MOST_COMMANDS = 8


@dataclass(frozen=True)
class SmtpTimeouts:
    connect: float
    greeting: float
    command: float
    data_initiation: float
    data_block: float
    data_termination: float

    @classmethod
    def from_config(cls, config) -> "SmtpTimeouts":
        """From the settings of portal/config.py (RFC 5321's values unless set otherwise)."""
        return cls(
            connect=config["MAIL_CONNECT_TIMEOUT"],
            greeting=config["MAIL_GREETING_TIMEOUT"],
            command=config["MAIL_COMMAND_TIMEOUT"],
            data_initiation=config["MAIL_DATA_INITIATION_TIMEOUT"],
            data_block=config["MAIL_DATA_BLOCK_TIMEOUT"],
            data_termination=config["MAIL_DATA_TERMINATION_TIMEOUT"],
        )

    @property
    def longest_conversation(self) -> float:
        """Seconds a conversation can take when every step waits its longest."""
        return (self.connect + self.greeting + _MOST_COMMANDS * self.command + self.data_initiation
                + self.data_block + self.data_termination)


def longest_conversation_seconds(config) -> float:
    return SmtpTimeouts.from_config(config).longest_conversation


class DeliveryOutcomeUnknown(smtplib.SMTPException):
    """The whole message was sent, but the relay's final answer never came: it may have arrived."""


class _StepTimeouts:
    """smtplib's conversation with a timeout chosen for each step (mixed into SMTP and SMTP_SSL)."""

    def __init__(self, timeouts: SmtpTimeouts, **kwargs):
        self.timeouts = timeouts
        self._reply_timeout = timeouts.greeting  # the first thing read is the greeting
        super().__init__(timeout=timeouts.connect, **kwargs)  # no host: connect() is called by the caller

    def putcmd(self, cmd, args=""):
        self._set_timeout(self.timeouts.command)
        self._reply_timeout = self.timeouts.data_initiation if cmd.lower() == "data" else self.timeouts.command
        super().putcmd(cmd, args)

    def getreply(self):
        self._set_timeout(self._reply_timeout)
        return super().getreply()

    def data(self, msg):
        """DATA, the message and its final ".", then the relay's answer (smtplib's `data`, with a
        timeout for each of those steps, and an unknown outcome said as such)."""
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            msg = re.sub(r"(?:\r\n|\n|\r(?!\n))", "\r\n", msg).encode("ascii")
        message = re.sub(rb"(?m)^\.", b"..", msg)
        if not message.endswith(b"\r\n"):
            message += b"\r\n"
        self._set_timeout(self.timeouts.data_block)
        self.send(message + b".\r\n")
        self._reply_timeout = self.timeouts.data_termination
        try:
            code, reply = self.getreply()
        except Exception as error:  # timeout, dropped connection, a job stopped: the relay may have it
            raise DeliveryOutcomeUnknown(f"{type(error).__name__}: {error}") from error
        if not 200 <= code < 600:
            raise DeliveryOutcomeUnknown(f"unreadable answer {code} {reply!r}")
        return code, reply

    def quit(self):
        """Say goodbye, but never fail over it: the message's fate was settled by then."""
        try:
            return super().quit()
        except (smtplib.SMTPException, OSError):
            self.close()
            return None

    def _set_timeout(self, seconds: float) -> None:
        if self.sock is not None:
            self.sock.settimeout(seconds)


class TimedSMTP(_StepTimeouts, smtplib.SMTP):
    pass


class TimedSMTPOverTLS(_StepTimeouts, smtplib.SMTP_SSL):
    pass


class TimedConnection(flask_mail.Connection):
    def configure_host(self) -> smtplib.SMTP:
        state = self.mail
        host = (TimedSMTPOverTLS if state.use_ssl else TimedSMTP)(SmtpTimeouts.from_config(current_app.config))
        host.set_debuglevel(int(state.debug))
        host.connect(state.server, state.port)
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host


#: A kept connection idle longer than this is closed and a new one opened: relays close idle
#: connections (RFC 5321 lets a server give up after 5 minutes; many do sooner).
KEPT_CONNECTION_IDLE_SECONDS = 30


class KeptConnection(TimedConnection):
    """A connection to the relay kept open between messages, for one process and thread, to the
    relay with the settings it was opened with (`opened_for`)."""

    def __init__(self, state, opened_for: tuple):
        super().__init__(state)
        self.opened_for = opened_for
        self.last_used = time.monotonic()
        self.reused = False  # set when handed out again
        self.host = None if state.suppress else self.configure_host()

    def usable_for(self, opened_for: tuple) -> bool:
        return self.opened_for == opened_for and time.monotonic() - self.last_used < KEPT_CONNECTION_IDLE_SECONDS

    def close(self, *, politely: bool = True) -> None:
        """QUIT (which never fails, see `_StepTimeouts.quit`), or after an error, whose answer may
        never come, just close the socket."""
        if self.host is not None:
            self.host.quit() if politely else self.host.close()
            self.host = None


def _closed_before_the_message(error: Exception) -> bool:
    """The relay hung up on a kept connection (or said it is closing it) before taking the message."""
    if isinstance(error, DeliveryOutcomeUnknown):
        return False
    if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code == 421:
        return True
    return isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError)


class Mail(flask_mail.Mail):
    def connect(self) -> TimedConnection:
        return TimedConnection(current_app.extensions["mail"])

    def send(self, message) -> None:
        """Send one message over this process's kept connection to the relay (opened as needed)."""
        kept = self._kept_connection()
        try:
            kept.send(message)
        except Exception as error:
            self._forget(kept, politely=False)
            if not (kept.reused and _closed_before_the_message(error)):
                raise
            kept = self._kept_connection()  # a fresh one: the relay had taken nothing
            try:
                kept.send(message)
            except Exception:
                self._forget(kept, politely=False)
                raise
        kept.last_used = time.monotonic()

    def close_kept_connection(self) -> None:
        """Say goodbye to the relay (a worker process that stops)."""
        kept = getattr(self._kept(), "connection", None)
        if kept is not None:
            self._forget(kept)

    def _kept(self) -> threading.local:
        return current_app.extensions.setdefault("portal_kept_smtp", threading.local())

    def _kept_connection(self) -> KeptConnection:
        state = current_app.extensions["mail"]
        opened_for = (os.getpid(), state.server, state.port, state.use_ssl, state.use_tls, state.username,
                      state.suppress, SmtpTimeouts.from_config(current_app.config))
        holder = self._kept()
        kept = getattr(holder, "connection", None)
        if kept is not None and kept.usable_for(opened_for):
            kept.reused = True
            return kept
        if kept is not None:
            holder.connection = None
            if kept.opened_for[0] == os.getpid():  # never talk over a socket a forked parent owns
                kept.close()
        kept = holder.connection = KeptConnection(state, opened_for)
        return kept

    def _forget(self, kept: KeptConnection, *, politely: bool = True) -> None:
        holder = self._kept()
        if getattr(holder, "connection", None) is kept:
            holder.connection = None
        kept.close(politely=politely)


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
