"""Helpers for email tests: a desk with real SMTP in and out, and mails written like people do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib
from sqlalchemy import select

from bot.app import Runtime
from bot.channel_context import build_channel_context
from bot.engine.mail_history import StoredMailHistory
from bot.engine.outbox import Dispatcher
from bot.store.models import Message, OutboxItem, Ticket, TicketEvent
from channels.base import OutboundMessage
from channels.console import ConsoleChannel
from channels.email.outbound import EmailChannel
from channels.email.plugin import build_intake
from channels.email.service import MailIntake
from channels.email.smtp_server import SmtpServer, SupportHandler
from tests.servers.smtp_sink import Received, SmtpSink

SUPPORT = "soporte@example.com"
AGENT = "ana@example.com"


def mail(sender: str, subject: str, body: str, to: str = SUPPORT,
         in_reply_to: str | None = None, headers: dict[str, str] | None = None,
         message_id: str | None = None) -> EmailMessage:
    """A plain-text mail as a person's client writes it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain=sender.rpartition("@")[2])
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def reply(to: Received, sender: str, body: str, **extra: str) -> EmailMessage:
    """Answer a mail we received, quoting it, to its Reply-To (or From) address."""
    original = to.message
    quoted = "\n".join(f"> {line}" for line in original.get_content().splitlines())
    text = f"{body}\n\nEl mar, 24 nov 2026 a las 10:00, Atiende <{SUPPORT}> escribió:\n{quoted}\n"
    subject = str(original["Subject"])
    return mail(sender, subject if subject.startswith("Re:") else f"Re: {subject}", text,
                to=str(original["Reply-To"] or original["From"]),
                in_reply_to=str(original["Message-ID"]), headers=extra or None)


class MailDesk:
    """Atiende's email side on loopback: our SMTP server in, the outbox out to a sink."""

    def __init__(self, runtime: Runtime, sink: SmtpSink) -> None:
        email = runtime.config.channels.email
        assert email is not None
        self.runtime = runtime
        self.sink = sink
        context = build_channel_context(runtime)
        self.key = context.secret_key
        self.service = build_intake(email, context)
        self.smtp = SmtpServer(email.smtp_inbound, SupportHandler(self.service, SUPPORT))
        self.chat: list[OutboundMessage] = []
        self.channel = EmailChannel(email, context.company_name, self.key,
                                    StoredMailHistory(runtime.factory), runtime.clock.now)
        self.dispatcher = Dispatcher(runtime.factory, {
            "email": self.channel, "console": ConsoleChannel(self.chat.append)})

    @asynccontextmanager
    async def running(self) -> AsyncIterator[MailDesk]:
        await self.smtp.start()
        try:
            yield self
        finally:
            await self.smtp.stop()

    async def send(self, message: EmailMessage | bytes, rcpt: str | None = None,
                   sender: str | None = None) -> str:
        """Deliver to our SMTP server like an MTA; returns the final reply, e.g. '250 …'."""
        recipients = [rcpt or str(message["To"])] if isinstance(message, EmailMessage) else [
            rcpt or SUPPORT]
        mail_from = sender if sender is not None else (
            str(message["From"]) if isinstance(message, EmailMessage) else "x@example.net")
        _, response = await aiosmtplib.send(message, hostname="127.0.0.1", port=self.smtp.port,
                                            sender=mail_from, recipients=recipients,
                                            start_tls=False, timeout=10)
        await self.runtime.ctx.work.drain()
        return response

    async def deliver(self) -> list[Received]:
        """Run the outbox once; the sink has stored each mail before answering 250."""
        await self.dispatcher.deliver_due(self.runtime.clock.now())
        return self.sink.received

    def inbox(self, address: str) -> list[Received]:
        return self.sink.to(address)

    async def open_ticket(self, message: EmailMessage) -> Received:
        """Send a customer's first mail, run the outbox; the one notice the agent got."""
        await self.send(message)
        await self.deliver()
        [notice] = self.inbox(AGENT)
        return notice


def intake(runtime: Runtime, key: bytes = b"k") -> MailIntake:
    """The email channel's inbound side as `serve` wires it, signing with `key`."""
    email = runtime.config.channels.email
    assert email is not None
    return build_intake(email, replace(build_channel_context(runtime), secret_key=key))


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def rows(runtime: Runtime, model: type, *where: object) -> list:
    with runtime.factory() as session:
        found = list(session.scalars(select(model).where(*where).order_by(model.id)))
        session.expunge_all()
        return found


def messages(runtime: Runtime) -> list[Message]:
    return rows(runtime, Message)


def events(runtime: Runtime, action: str) -> list[TicketEvent]:
    return rows(runtime, TicketEvent, TicketEvent.action == action)


def outbox(runtime: Runtime) -> list[OutboxItem]:
    return rows(runtime, OutboxItem)


def ticket(runtime: Runtime, number: int) -> Ticket:
    return rows(runtime, Ticket, Ticket.number == number)[0]
