"""WhatsApp via Twilio: the signed webhooks in (`/webhooks/whatsapp[/status]`) and the plugin."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Callable, Mapping
from functools import partial

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from bot.app import Runtime
from bot.config.root import WhatsAppConfig
from bot.engine.inbox import find_message
from bot.engine.outbox import release_held
from bot.engine.pipeline import accept_then_route
from bot.store.db import transaction
from channels.base import Attachment, InboundMessage, InvalidWebhook
from channels.media import MediaError, MediaStore, download, file_name, media_store
from channels.registry import ChannelPlugin, off
from channels.twilio_wire import (
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
from channels.webhook_edge import parse_number, quarantine, read_body, redact, rejection
from channels.whatsapp_sender import Credentials, WhatsAppChannel
from channels.whatsapp_status import record_status

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/webhooks/whatsapp"
STATUS_PATH = "/webhooks/whatsapp/status"


def find_credentials(environ: Mapping[str, str]) -> Credentials | None:
    sid, token = environ.get("TWILIO_ACCOUNT_SID", ""), environ.get("TWILIO_AUTH_TOKEN", "")
    return Credentials(sid, token) if sid and token else None


class WhatsAppWebhooks:
    """The two Twilio webhooks: check the signature, store, acknowledge."""

    def __init__(self, runtime: Runtime, config: WhatsAppConfig, credentials: Credentials,
                 media: MediaStore) -> None:
        self.runtime = runtime
        self.config = config
        self.credentials = credentials
        self.validator = RequestValidator(credentials.auth_token)
        self.media = media
        self.window_closed: Callable[[str], object] | None = None  # the sender's cache hears it

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
        url = signed_url(self.runtime.config.http.public_url, request.url.path,
                         request.url.query)
        check_signature(self.validator, url, form, signature)
        return form, body

    async def message(self, request: Request) -> Response:
        try:
            form, body = await self.signed_form(request)
        except InvalidWebhook as exc:
            return rejection(exc)
        now = self.runtime.clock.now()
        try:
            inbound = parse_inbound(form, now)
        except InvalidWebhook as exc:
            return await quarantine(self.runtime.factory, CHANNEL, exc, body, now)
        if inbound.attachments and await run_in_threadpool(self.is_known, inbound):
            return twiml()   # a retry: stored already, do not fetch the media again
        inbound = await self.fetch_media(inbound)
        try:
            await accept_then_route(self.runtime.factory, self.runtime.ctx, inbound,
                                    on_new=partial(self.release, inbound.sender))
        except SQLAlchemyError:
            log.exception("whatsapp: message %s could not be stored", inbound.provider_message_id)
            return PlainTextResponse("could not store the message; try again\n", status_code=503)
        return twiml()

    def is_known(self, inbound: InboundMessage) -> bool:
        with self.runtime.factory() as session:
            return find_message(session, CHANNEL, inbound.provider_message_id) is not None

    def release(self, address: str, session: Session) -> None:
        """The customer wrote: the window is open again for messages we held (in the
        transaction that stores their message)."""
        released = release_held(session, CHANNEL, address, self.runtime.clock.now())
        if released:
            log.info("whatsapp: %s held message(s) for %s released", released, redact(address))

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
        now = self.runtime.clock.now()
        try:
            report = parse_status(form)
            hint = parse_outbox_hint(request.query_params.get("outbox"))
        except InvalidWebhook as exc:
            return await quarantine(self.runtime.factory, f"{CHANNEL}-status", exc, body, now)
        outcome = await run_in_threadpool(self.apply_status, report, hint)
        log.info("whatsapp: status %s for %s: %s", report.status, report.message_sid, outcome)
        return PlainTextResponse("", status_code=204)

    def apply_status(self, report: StatusReport, hint: int | None) -> str:
        with transaction(self.runtime.factory) as session:
            return record_status(session, report, hint, self.runtime.clock.now(),
                                 self.window_closed)


def parse_outbox_hint(value: str | None) -> int | None:
    return None if value is None else parse_number(value, "the outbox query parameter", 2**31 - 1)


def twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="text/xml")


def build_plugin(runtime: Runtime, environ: Mapping[str, str] | None = None) -> ChannelPlugin:
    """WhatsApp is on when the config section and TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN exist."""
    config = runtime.config.channels.whatsapp
    if config is None:
        return off(CHANNEL, "no channels.whatsapp section in config.yaml")
    credentials = find_credentials(os.environ if environ is None else environ)
    if credentials is None:
        return off(CHANNEL, "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not both set")
    public = runtime.config.http.public_url.rstrip("/")
    media = media_store(runtime.config, config.media_dir, CHANNEL, config.media_max_bytes)
    hooks = WhatsAppWebhooks(runtime, config, credentials, media)
    channel = WhatsAppChannel(config, credentials, public, runtime.factory, runtime.clock.now,
                              runtime.config.bot.company_name)
    hooks.window_closed = channel.forget_window
    return ChannelPlugin(
        name=CHANNEL,
        status=f"on: Twilio webhook {public}{WEBHOOK_PATH}, status callback "
               f"{public}{STATUS_PATH}, sending as {config.from_address}",
        channel=channel,
        routes=[Route(WEBHOOK_PATH, hooks.message, methods=["POST"]),
                Route(STATUS_PATH, hooks.status, methods=["POST"])],
        shutdown=[channel.close],
    )
