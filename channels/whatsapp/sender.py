"""Outbound WhatsApp through Twilio's Messages API: free text in the window, templates outside."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from twilio.base.exceptions import TwilioRestException

from channels.base import DeliveryError, DeliveryReceipt, InboundSink, OutboundMessage
from channels.rate_limit import RateLimiter
from channels.send_once import SendOnce
from channels.text_split import degrade_buttons, split_text
from channels.webhook_edge import redact
from channels.whatsapp.config import WhatsAppConfig
from channels.whatsapp.lookup import find_sent
from channels.whatsapp.throttle import Throttled
from channels.whatsapp.window import can_send_free_text, choose_template
from channels.whatsapp.wire import CHANNEL

if TYPE_CHECKING:
    from twilio.rest import Client

log = logging.getLogger(__name__)
MAX_BODY_CHARS = 1600
MAX_KEPT_WINDOWS = 10_000   # open windows remembered between dispatcher batches


@dataclass(frozen=True)
class Credentials:
    account_sid: str
    auth_token: str


def to_delivery_error(exc: Exception) -> DeliveryError:
    """Twilio's answer as a DeliveryError: what to retry, when, and why."""
    if isinstance(exc, Throttled):
        return DeliveryError(str(exc), transient=True, retry_after=exc.retry_after)
    if isinstance(exc, TwilioRestException):
        reason = f"Twilio HTTP {exc.status} error {exc.code}: {exc.msg}"
        if exc.status >= 500 or exc.status in (401, 403):  # outage or credentials being fixed
            return DeliveryError(reason, transient=True)
        return DeliveryError(reason, transient=False)
    return DeliveryError(f"Twilio unreachable: {type(exc).__name__}: {exc}", transient=True)


class WhatsAppChannel:
    """Channel.send for WhatsApp via `twilio.rest.Client` pointed at `api_base_url`."""

    name = CHANNEL
    looks_up_sends = True   # see resume_or_post
    joins_replies_up_to = MAX_BODY_CHARS   # queued replies may leave as one message

    def __init__(self, config: WhatsAppConfig, credentials: Credentials, public_url: str,
                 sink: InboundSink, now: Callable[[], datetime], company: str,
                 limiter: RateLimiter | None = None) -> None:
        self.config = config
        # one rate for the sender (Twilio has no per-recipient limit to keep to)
        rate = config.messages_per_second
        self.limiter = limiter or RateLimiter(per_key=rate, overall=rate)
        self.credentials = credentials
        self.public_url = public_url.rstrip("/")
        self.sink = sink   # asked when the customer last wrote (the 24 h window)
        self.now = now
        self.company = company
        self.clients: dict[asyncio.AbstractEventLoop, Client] = {}
        self.sent_once = SendOnce()
        self.open_windows: dict[str, datetime] = {}  # from prepare(): open, not yet expired

    def client(self) -> Client:
        """One Twilio client per event loop (its aiohttp session belongs to that loop).

        The REST client is imported here, on the first send: an idle server stays small.
        """
        from channels.whatsapp.client import make_client

        loop = asyncio.get_running_loop()
        if loop not in self.clients:
            self.clients = {known: c for known, c in self.clients.items()
                            if not known.is_closed()}
            self.clients[loop] = make_client(self.credentials.account_sid,
                                             self.credentials.auth_token,
                                             self.config.api_base_url, self.now)
        return self.clients[loop]

    async def close(self) -> None:
        client = self.clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.http_client.close()  # type: ignore[attr-defined]

    def status_callback(self, message: OutboundMessage) -> str | None:
        if not self.config.status_callbacks:
            return None
        query = f"?outbox={message.outbox_id}" if message.outbox_id is not None else ""
        return f"{self.public_url}/webhooks/whatsapp/status{query}"

    async def prepare(self, recipients: list[str]) -> None:
        """Look up the windows of a whole dispatcher batch in one go (send() would ask per row).

        Only open windows are kept: a closed or unknown window is always read again, so a
        customer who just wrote is never sent a template by mistake. An open window stays open
        until 24 h after the message that opened it (a later message only extends it), so it is
        kept across batches until then and only the batch's other recipients are looked up
        (Twilio's 63016 drops one at once: `forget_window`).
        """
        now = self.now()
        if len(self.open_windows) > MAX_KEPT_WINDOWS:   # expired ones go; all, if still many
            kept = {address: at for address, at in self.open_windows.items()
                    if can_send_free_text(at, now)}
            self.open_windows = kept if len(kept) <= MAX_KEPT_WINDOWS else {}
        unknown = [address for address in dict.fromkeys(recipients)
                   if not can_send_free_text(self.open_windows.get(address), now)]
        if not unknown:
            return
        found = await run_in_threadpool(self.last_inbound_many, unknown)
        for address, at in found.items():
            if at is not None and can_send_free_text(at, now):
                self.open_windows[address] = at
            else:
                self.open_windows.pop(address, None)

    def forget_window(self, address: str) -> None:
        """Twilio said 63016 (window closed) for this customer: read it again before sending."""
        self.open_windows.pop(address, None)

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        last_inbound = self.open_windows.get(message.recipient)
        if last_inbound is None or not can_send_free_text(last_inbound, self.now()):
            last_inbound = await run_in_threadpool(self.last_inbound, message.recipient)
        if can_send_free_text(last_inbound, self.now()):
            sids = await self.send_text(message)
        else:
            template = choose_template(self.config, message, last_inbound, self.company)
            sids = [await self.create(message, content_sid=template.content_sid,
                                      content_variables=template.content_variables)]
        log.info("whatsapp: sent outbox %s to %s as %s", message.outbox_id,
                 redact(message.recipient), ",".join(sids))
        return DeliveryReceipt(provider_message_id=sids[0], status="sent")

    def last_inbound(self, address: str) -> datetime | None:
        return self.sink.last_inbound(CHANNEL, [address]).get(address)

    def last_inbound_many(self, addresses: list[str]) -> Mapping[str, datetime | None]:
        return self.sink.last_inbound(CHANNEL, addresses)

    async def send_text(self, message: OutboundMessage) -> list[str]:
        text = degrade_buttons(message.text, message.buttons)
        return [await self.create(message, part=index, body=body)
                for index, body in enumerate(split_text(text, MAX_BODY_CHARS))]

    async def create(self, message: OutboundMessage, part: int = 0, **content: str) -> str:
        """One Messages API POST, once per (outbox row, content, part); returns the SID."""
        key = (None if message.outbox_id is None else
               (message.outbox_id, message.recipient, part, tuple(sorted(content.items()))))
        return await self.sent_once.run(key, lambda: self.resume_or_post(message, content))

    async def resume_or_post(self, message: OutboundMessage, content: dict[str, str]) -> str:
        """After an attempt whose outcome is unknown, a part Twilio already took is not sent
        again: its SID is looked up instead."""
        if message.resume_after is not None:
            from channels.whatsapp.client import NETWORK_ERRORS

            try:
                found = await find_sent(self.client(), message, self.config.from_address,
                                        content)
            except (Throttled, TwilioRestException, *NETWORK_ERRORS) as exc:
                raise to_delivery_error(exc) from exc
            if found is not None:
                log.info("whatsapp: outbox %s was already taken by Twilio as %s; not sent "
                         "again", message.outbox_id, found)
                return found
        return await self.post(message, content)

    async def post(self, message: OutboundMessage, content: dict[str, str]) -> str:
        extra = {"status_callback": callback} if (callback := self.status_callback(
            message)) else {}
        client = self.client()
        from channels.whatsapp.client import NETWORK_ERRORS

        await self.limiter.wait(message.recipient)
        try:
            created = await client.messages.create_async(
                to=message.recipient, from_=self.config.from_address, **content, **extra)
        except (Throttled, TwilioRestException, *NETWORK_ERRORS) as exc:
            raise to_delivery_error(exc) from exc
        return str(created.sid)
