"""Outbound: the outbox's rows for channel `web` are pushed to the visitor's open streams.

The row itself is the durable copy (the history reads it), so a reply sent while the visitor is
away is shown when they come back; an agent's message to a visitor who left an email address is
copied to it by email.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool

from channels.base import DeliveryReceipt, OutboundMessage
from channels.webchat.bus import LiveBus
from channels.webchat.history import WebHistory
from channels.webchat.hub import Hub
from channels.webchat.identity import CHANNEL
from channels.webchat.presence import Presence

log = logging.getLogger(__name__)
LIVE_ONLY_KINDS = frozenset({"reply"})   # the bot's immediate answers: the visitor is there


class WebChatChannel:
    name = CHANNEL

    def __init__(self, hub: Hub, history: WebHistory, now: Callable[[], datetime],
                 bus: LiveBus, presence: Presence) -> None:
        self.hub = hub
        self.presence = presence
        self.history = history
        self.now = now
        self.bus = bus

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        """Push to this worker's streams of the visitor and announce it to the others; an
        agent's message is copied by email when no worker holds a live stream of the visitor."""
        event = outbound_event(message, self.now())
        online = self.hub.publish(message.recipient, event) > 0
        if self.bus.shared:
            await self.bus.announce(message.recipient, event)
        if (not online and message.kind not in LIVE_ONLY_KINDS and message.outbox_id
                and not await self.presence.anywhere(message.recipient)):
            await run_in_threadpool(self.history.forward_by_email, message.recipient,
                                    message.outbox_id)
        return DeliveryReceipt(provider_message_id=event["id"])


def outbound_event(message: OutboundMessage, at: datetime) -> dict[str, Any]:
    ident = f"out-{message.outbox_id}" if message.outbox_id else f"out-{at.timestamp()}"
    return {"id": ident, "direction": "out", "text": message.text,
            "buttons": list(message.buttons), "kind": message.kind, "at": at.isoformat(),
            "attachments": []}
