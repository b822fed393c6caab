"""A real SMTP server for the tests (aiosmtpd) that records what it receives.

`refuse_next(code, text)` makes it answer the next RCPT with that reply, to test failures.
`rcpt_delay` holds each RCPT's answer that many seconds; `data_reply_delay` stores the message, then
holds the answer after its final "." that long; `drop_after_data` stores it and hangs up without
answering: what a slow or failing relay does at those steps.
"""

import asyncio
import email
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller


@dataclass
class RecordingHandler:
    messages: list[EmailMessage] = field(default_factory=list)
    rcpt_replies: list[str] = field(default_factory=list)
    rcpt_delay: float = 0
    data_reply_delay: float = 0
    drop_after_data: bool = False
    #: Connections opened (each says EHLO once).
    connections: int = 0
    #: Answer "421" (closing) to a second message on one connection, as a relay that closed it would.
    one_message_a_connection: bool = False

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.one_message_a_connection and getattr(session, "messages_taken", 0):
            asyncio.get_running_loop().call_later(0.01, server.transport.close)
            return "421 4.4.2 Closing connection"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))  # the relay has it now
        session.messages_taken = getattr(session, "messages_taken", 0) + 1
        if self.drop_after_data:
            server.transport.abort()  # hang up before answering
        if self.data_reply_delay:
            await asyncio.sleep(self.data_reply_delay)
        return "250 Message accepted"


class SmtpServer:
    def __init__(self):
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def reset(self):
        self.handler.messages.clear()
        self.handler.rcpt_replies.clear()
        self.handler.rcpt_delay = self.handler.data_reply_delay = 0
        self.handler.drop_after_data = self.handler.one_message_a_connection = False
        self.handler.connections = 0

    def refuse_next(self, reply: str):
        self.handler.rcpt_replies.append(reply)

    def messages_to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def text_body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def email_kind(message: EmailMessage) -> str:
    """The outbox kind of a message the portal sent ("invitation", "removal", ...), from its
    X-Portal-Email header (the idempotency key: kind-REFERENCE[-occasion])."""
    return message["X-Portal-Email"].split("-", 1)[0]
