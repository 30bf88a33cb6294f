"""Channel contract — the guide to adding a channel.

A channel adapter does two things and decides nothing:

1. Inbound: turn the provider's payload into one frozen `InboundMessage` (keep the raw payload
   beside it, use the provider's message id as `provider_message_id` — it is the dedupe key) and
   hand it to `bot.inbox.accept_inbound`, which stores it before anything else happens. Then
   acknowledge the provider. Validate at the edge (signatures, required fields) and raise
   `InvalidWebhook` with a reason for bad input.
2. Outbound: implement `Channel.send(OutboundMessage) -> DeliveryReceipt`. Only the outbox
   dispatcher calls it. Degrade buttons and media to text inside the adapter when the provider
   cannot show them; raise `DeliveryError(transient=...)` on failure.

Register the adapter in the channel table driven by config (`bot/app.py`). The sender address is
the contact's stable identity (`whatsapp:+57…`, `telegram:12345`, an email address,
`console:ana`); display names are decoration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int | None = None
    url: str | None = None
    data: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class InboundMessage:
    channel: str
    provider_message_id: str
    sender: str
    text: str
    received_at: datetime
    sender_name: str | None = None
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None
    language_hint: str | None = None
    is_automated: bool = False
    subject: str | None = None
    ticket_number: int | None = None  # the ticket this message continues, when the channel knows
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class OutboundMessage:
    channel: str
    recipient: str
    text: str
    buttons: tuple[str, ...] = ()
    kind: str = "reply"
    ticket_number: int | None = None
    outbox_id: int | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryReceipt:
    provider_message_id: str | None
    status: str = "sent"


class Channel(Protocol):
    name: str

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        """Deliver one message or raise DeliveryError."""
        ...
