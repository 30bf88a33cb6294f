"""WhatsApp via Twilio, inbound: the signed webhooks `/webhooks/whatsapp` and `.../status`."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from channels.base import (
    Attachment,
    DeliveryUpdate,
    InboundMessage,
    InboundSink,
    InvalidWebhook,
    StoreUnavailable,
)
from channels.media import MediaError, MediaStore, download, file_name
from channels.webhook_edge import parse_number, quarantine, read_body, rejection
from channels.whatsapp.config import WhatsAppConfig
from channels.whatsapp.sender import Credentials
from channels.whatsapp.signature import TwilioSignature
from channels.whatsapp.wire import (
    CHANNEL,
    EMPTY_TWIML,
    Form,
    StatusReport,
    check_signature,
    parse_form,
    parse_inbound,
    parse_status,
    signed_url,
)

log = logging.getLogger(__name__)
WINDOW_CLOSED = "63016"   # Twilio: outside the 24 h window, only templates reach the customer
FAILURES = ("failed", "undelivered", "canceled")


class WhatsAppWebhooks:
    """The two Twilio webhooks: check the signature, store, acknowledge."""

    def __init__(self, config: WhatsAppConfig, credentials: Credentials, media: MediaStore,
                 sink: InboundSink, now: Callable[[], datetime], public_url: str,
                 window_closed: Callable[[str], object]) -> None:
        self.config = config
        self.credentials = credentials
        self.validator = TwilioSignature(credentials.auth_token)
        self.media = media
        self.sink = sink
        self.now = now
        self.public_url = public_url
        self.window_closed = window_closed   # the sender's window cache hears of a 63016

    async def signed_form(self, request: Request) -> tuple[Form, bytes]:
        """The verified form; 403 for a bad signature, and for a body that is not a form (Twilio
        signs only forms: such a body cannot carry a valid signature, so it is not parsed)."""
        signature = request.headers.get("x-twilio-signature")
        if not signature:
            raise InvalidWebhook("missing X-Twilio-Signature header", status=403)
        body = await read_body(request)
        try:
            form = parse_form(request.headers.get("content-type", ""), body)
        except InvalidWebhook as exc:
            raise InvalidWebhook(f"X-Twilio-Signature cannot match: {exc.reason}",
                                 status=403) from None
        url = signed_url(self.public_url, request.url.path, request.url.query)
        check_signature(self.validator, url, form, signature)
        return form, body

    async def message(self, request: Request) -> Response:
        try:
            form, body = await self.signed_form(request)
        except InvalidWebhook as exc:
            return rejection(exc)
        try:
            inbound = parse_inbound(form, self.now())
        except InvalidWebhook as exc:
            return await quarantine(self.sink, CHANNEL, exc, body)
        if inbound.attachments and await run_in_threadpool(self.is_known, inbound):
            return twiml()   # a retry: stored already, do not fetch the media again
        inbound = await self.fetch_media(inbound)
        try:
            await self.sink.accept(inbound)
        except StoreUnavailable:
            log.exception("whatsapp: message %s could not be stored", inbound.provider_message_id)
            return PlainTextResponse("could not store the message; try again\n", status_code=503)
        return twiml()

    def is_known(self, inbound: InboundMessage) -> bool:
        return self.sink.has_seen(CHANNEL, inbound.provider_message_id)

    async def fetch_media(self, inbound: InboundMessage) -> InboundMessage:
        """Download the attachments at once, within `media_budget_seconds` all together (Twilio
        waits 15 s for our answer); one that fails or is late keeps its URL, the reason in raw."""
        if not inbound.attachments:
            return inbound
        budget = self.config.media_budget_seconds
        tasks = [asyncio.ensure_future(self.fetch_one(inbound.provider_message_id, index, item))
                 for index, item in enumerate(inbound.attachments)]
        await asyncio.wait(tasks, timeout=budget)
        kept: list[Attachment] = []
        problems: list[str] = []
        for index, (item, task) in enumerate(zip(inbound.attachments, tasks, strict=True)):
            if not task.done():
                task.cancel()
                problems.append(f"MediaUrl{index}: not downloaded within "
                                f"channels.whatsapp.media_budget_seconds ({budget:g} s)")
                kept.append(item)
                continue
            failure = task.exception()
            if failure is None:
                kept.append(task.result())
                continue
            if not isinstance(failure, MediaError):
                raise failure
            problems.append(f"MediaUrl{index}: {failure}")
            kept.append(item)
        raw = {**inbound.raw, "_media_errors": problems} if problems else inbound.raw
        return dataclasses.replace(inbound, attachments=tuple(kept), raw=raw)

    async def fetch_one(self, message_sid: str, index: int, item: Attachment) -> Attachment:
        assert item.url is not None
        if not item.url.startswith(self.config.api_base_url.rstrip("/") + "/"):
            raise MediaError("media URL is not on channels.whatsapp.api_base_url; not fetched")
        data, content_type = await download(
            item.url, (self.credentials.account_sid, self.credentials.auth_token),
            self.media.max_bytes, self.config.media_timeout_seconds)
        content_type = item.content_type or content_type
        return await run_in_threadpool(self.media.save, message_sid,
                                       file_name(index, content_type), content_type, data)

    async def status(self, request: Request) -> Response:
        try:
            form, body = await self.signed_form(request)
        except InvalidWebhook as exc:
            return rejection(exc)
        try:
            report = parse_status(form)
            hint = parse_outbox_hint(request.query_params.get("outbox"))
        except InvalidWebhook as exc:
            return await quarantine(self.sink, f"{CHANNEL}-status", exc, body)
        update = delivery_update(report, hint, self.now())
        outcome = await run_in_threadpool(self.sink.record_delivery, update)
        if outcome == "requeued" and (address := report.raw.get("To")):
            self.window_closed(address)   # the sender must read this window again
        log.info("whatsapp: status %s for %s: %s", report.status, report.message_sid, outcome)
        return PlainTextResponse("", status_code=204)


def delivery_update(report: StatusReport, outbox_hint: int | None, at: datetime) -> DeliveryUpdate:
    """Twilio's status callback in the engine's terms; 63016 means the window is closed."""
    return DeliveryUpdate(
        channel=CHANNEL, provider_message_id=report.message_sid, status=report.status, at=at,
        error_code=report.error_code, error_message=failure_reason(report),
        outbox_hint=outbox_hint, window_closed=report.error_code == WINDOW_CLOSED,
        raw=report.raw)


def failure_reason(report: StatusReport) -> str | None:
    """What a failure is called in the outbox row's last_error ("Twilio undelivered")."""
    return f"Twilio {report.status}" if report.status in FAILURES else None


def parse_outbox_hint(value: str | None) -> int | None:
    return None if value is None else parse_number(value, "the outbox query parameter", 2**31 - 1)


def twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="text/xml")
