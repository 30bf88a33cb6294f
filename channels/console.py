"""The console channel: the terminal is the customer's chat; delivery hands text to a sink."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from channels.base import DeliveryReceipt, InboundMessage, OutboundMessage

CHANNEL = "console"


def console_address(name: str) -> str:
    """`ana` → `console:ana`; an address that already has the prefix is kept."""
    return name if name.startswith(f"{CHANNEL}:") else f"{CHANNEL}:{name}"


def console_message(address: str, name: str | None, text: str,
                    received_at: datetime) -> InboundMessage:
    """One line typed in the terminal, as the engine receives every message."""
    return InboundMessage(
        channel=CHANNEL, provider_message_id=f"console-{uuid.uuid4().hex}",
        sender=console_address(address), sender_name=name, text=text,
        received_at=received_at, raw={"text": text})


class ConsoleChannel:
    """Delivers by calling `sink` with each message (print it, or collect it in batch mode)."""

    name = CHANNEL

    def __init__(self, sink: Callable[[OutboundMessage], None]) -> None:
        self.sink = sink

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        self.sink(message)
        return DeliveryReceipt(provider_message_id=f"console-out-{message.outbox_id}")
