"""A loopback SMTP sink (aiosmtpd in its own thread) that keeps what it is sent, or refuses it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller

from tests.servers.dovecot import free_port


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes


class SmtpSink:
    """Collects mail; set `reply` to answer DATA with an SMTP error instead (e.g. '451 …')."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.reply: str | None = None
        self.arrived = threading.Condition()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply:
            return self.reply
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(raw)
        with self.arrived:
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos),
                                          message, raw))  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 OK"

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]
