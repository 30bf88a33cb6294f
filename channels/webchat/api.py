"""The widget's JSON API under /widget/api: session, messages, attachments, history, events,
email. Each call checks the calling site, the visitor's token and the limits first."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from channels.base import (
    Attachment,
    ChannelContext,
    InboundMessage,
    InvalidWebhook,
    StoreUnavailable,
)
from channels.media import MediaStore, safe_name
from channels.rate_limits import MemoryLimiter, RateLimiter, Rule, client_ip
from channels.webchat.config import WebChatConfig
from channels.webchat.history import WebHistory
from channels.webchat.hub import Hub
from channels.webchat.identity import CHANNEL, VisitorTokens
from channels.webchat.origins import Origins
from channels.webchat.presence import Presence
from channels.webchat.stream import LiveStream
from channels.webhook_edge import read_body

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")
TOKEN_HEADER = "x-atiende-visitor"
JSON_LIMIT = 64 * 1024
PING_SECONDS = 15
STREAM_RETRY_SECONDS = 30
Handler = Callable[[Request, "str | None"], Awaitable[Response]]


class TooMany(InvalidWebhook):
    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason, status=429)
        self.retry_after = retry_after


class WidgetApi:
    def __init__(self, config: WebChatConfig, context: ChannelContext, hub: Hub,
                 history: WebHistory, media: MediaStore, presence: Presence) -> None:
        self.config = config
        self.presence = presence
        self.context = context
        self.hub = hub
        self.history = history
        self.media = media
        self.tokens = VisitorTokens(context.secret_key, config.visitor_days, context.now)
        self.origins = Origins(config.allowed_origins, context.public_url)
        self.limiter: RateLimiter = context.limiter or MemoryLimiter(context.now)
        self.per_visitor = Rule("web_visitor", config.messages_per_minute, 60)
        self.per_ip = Rule("web_ip", config.requests_per_minute_per_ip, 60)

    def routes(self) -> list[Route]:
        calls: dict[str, tuple[str, Handler]] = {
            "/session": ("POST", self.session), "/messages": ("POST", self.message),
            "/attachments": ("POST", self.attachment), "/history": ("GET", self.read_history),
            "/events": ("GET", self.events), "/email": ("POST", self.email)}
        return [Route(f"/widget/api{path}", self.guarded(handler), methods=[method, "OPTIONS"])
                for path, (method, handler) in calls.items()]

    def guarded(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Origin check and CORS headers around a handler; its InvalidWebhook becomes a JSON
        error with the reason (4xx), never a 500."""

        async def endpoint(request: Request) -> Response:
            try:
                origin = self.origins.check(request)
            except InvalidWebhook as exc:
                return JSONResponse({"error": exc.reason}, status_code=exc.status)
            if request.method == "OPTIONS":
                return Response(status_code=204, headers=self.origins.headers(origin))
            try:
                await self.limit_ip(request)
                response = await handler(request, origin)
            except InvalidWebhook as exc:
                response = error(exc)
            except StoreUnavailable:
                response = JSONResponse({"error": "could not store the message now; try again"},
                                        status_code=503, headers={"Retry-After": "5"})
            response.headers.update(self.origins.headers(origin))
            return response

        return endpoint

    async def limit_ip(self, request: Request) -> None:
        verdict = await self.limiter.hit(self.per_ip, client_ip(request))
        if not verdict.allowed:
            raise TooMany("too many requests from this address; wait a minute",
                          verdict.retry_after)

    def visitor(self, request: Request, body: dict[str, Any] | None = None) -> str:
        token = request.headers.get(TOKEN_HEADER) or request.query_params.get("token")
        if not token and body is not None:
            token = body.get("token") if isinstance(body.get("token"), str) else None
        return self.tokens.address(token)

    async def session(self, request: Request, _origin: str | None) -> Response:
        body = await read_json(request)
        token = body.get("token")
        try:
            self.tokens.address(token if isinstance(token, str) else None)
        except InvalidWebhook:
            token, _address = self.tokens.issue()
        config = self.config
        return JSONResponse({"token": token, "company": self.context.company_name,
                             "limits": {"max_chars": config.max_message_chars,
                                        "max_bytes": config.max_attachment_bytes,
                                        "types": list(config.attachment_types)}})

    async def message(self, request: Request, _origin: str | None) -> Response:
        body = await read_json(request)
        address = self.visitor(request, body)
        client_id = checked_id(body.get("id"))
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InvalidWebhook("the message is empty: write something to send")
        if len(text) > self.config.max_message_chars:
            raise InvalidWebhook(f"the message has {len(text)} characters; the limit is "
                                 f"{self.config.max_message_chars}", status=413)
        inbound = self.inbound(address, client_id, text.strip(), body.get("lang"))
        return await self.accept(address, inbound, {"id": client_id})

    async def accept(self, address: str, inbound: InboundMessage,
                     answer: dict[str, Any]) -> Response:
        """Store (deduplicated by the widget's id), then acknowledge; a repeat does not count
        against the visitor's limit."""
        await self.limit_visitor(address)
        try:
            new = await self.context.sink.accept(inbound)
        except BaseException:
            await self.limiter.refund(self.per_visitor, address)
            raise
        if not new:
            await self.limiter.refund(self.per_visitor, address)
        return JSONResponse({**answer, "duplicate": not new}, status_code=202 if new else 200)

    async def limit_visitor(self, address: str) -> None:
        verdict = await self.limiter.hit(self.per_visitor, address)
        if not verdict.allowed:
            raise TooMany(f"more than {self.config.messages_per_minute} messages a minute; "
                          f"wait a moment", verdict.retry_after)

    def inbound(self, address: str, client_id: str, text: str, lang: object,
                attachments: tuple[Attachment, ...] = ()) -> InboundMessage:
        hint = lang if lang in ("es", "en") else None
        return InboundMessage(channel=CHANNEL, provider_message_id=f"{address}/{client_id}",
                              sender=address, text=text, received_at=self.context.now(),
                              attachments=attachments, language_hint=hint,
                              raw={"id": client_id, "text": text, "lang": hint,
                                   "attachments": [a.filename for a in attachments]})

    async def attachment(self, request: Request, _origin: str | None) -> Response:
        limit = self.config.max_attachment_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit + JSON_LIMIT:
            raise InvalidWebhook(f"the file is larger than the {limit // 1024} KB limit",
                                 status=413)
        try:
            form = await request.form(max_files=1, max_fields=8)
        except Exception:  # a malformed multipart body is the sender's error
            raise InvalidWebhook("expected a multipart form with one file") from None
        address = self.visitor(request, {"token": form.get("token")})
        client_id = checked_id(form.get("id"))
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidWebhook("no file in the form (field `file`)")
        caption = form.get("text")
        caption = caption if isinstance(caption, str) else ""
        attachment = await self.save(address, client_id, upload)
        inbound = self.inbound(address, client_id, caption[:self.config.max_message_chars],
                               form.get("lang"), (attachment,))
        return await self.accept(address, inbound, {"id": client_id, "file": attachment.filename,
                                                    "size": attachment.size})

    async def save(self, address: str, client_id: str, upload: UploadFile) -> Attachment:
        kind = (upload.content_type or "").split(";")[0].strip().lower()
        if kind not in self.config.attachment_types:
            raise InvalidWebhook(f"files of type {kind or 'unknown'} are not accepted; allowed: "
                                 f"{', '.join(self.config.attachment_types)}", status=415)
        limit = self.config.max_attachment_bytes
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise InvalidWebhook(f"the file is larger than the {limit // 1024} KB limit",
                                 status=413)
        if not data:
            raise InvalidWebhook("the file is empty")
        key = f"{address.partition(':')[2]}-{client_id}"
        name = safe_name(upload.filename or "file")
        return await run_in_threadpool(self.media.save, key, name, kind, data)

    async def read_history(self, request: Request, _origin: str | None) -> Response:
        address = self.visitor(request)
        messages = await run_in_threadpool(self.history.history, address)
        return JSONResponse({"messages": messages})

    async def email(self, request: Request, _origin: str | None) -> Response:
        body = await read_json(request)
        address = self.visitor(request, body)
        email = body.get("email")
        if not isinstance(email, str) or not EMAIL.match(email.strip()):
            raise InvalidWebhook("that does not look like an email address")
        await self.limit_visitor(address)
        linked = await run_in_threadpool(self.history.link_email, address, email.strip().lower())
        if not linked:
            raise InvalidWebhook("that email address belongs to another conversation; write "
                                 "to us from it directly", status=409)
        return JSONResponse({"linked": True})

    async def events(self, request: Request, _origin: str | None) -> Response:
        address = self.visitor(request)
        if not self.hub.has_room():
            raise TooMany(f"this server has {self.hub.total} live chats open (channels.web."
                          f"max_streams); try again in a moment", STREAM_RETRY_SECONDS)
        last_id = request.headers.get("last-event-id") or request.query_params.get("last")
        stream = LiveStream(self.hub, self.history, address, last_id, self.presence)
        return EventSourceResponse(stream.events(), ping=PING_SECONDS)


def error(exc: InvalidWebhook) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooMany) else None
    return JSONResponse({"error": exc.reason}, status_code=exc.status, headers=headers)


def checked_id(value: object) -> str:
    if not isinstance(value, str) or not CLIENT_ID.match(value):
        raise InvalidWebhook("`id` must be 8-64 characters of A-Z a-z 0-9 _ - (made by the "
                             "widget, the same for a retry)")
    return value


async def read_json(request: Request) -> dict[str, Any]:
    body = await read_body(request, JSON_LIMIT)
    if not body:
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        raise InvalidWebhook("body is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidWebhook("body must be a JSON object")
    return data
