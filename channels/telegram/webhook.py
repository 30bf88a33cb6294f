"""POST /webhooks/telegram: check the secret token, hand the update to the Application."""

from __future__ import annotations

import hmac
import json
import re

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from telegram import Update
from telegram.ext import Application

from channels.base import InboundSink, InvalidWebhook
from channels.telegram.inbox import TelegramInbox
from channels.telegram.updates import CHANNEL, check_update_json
from channels.webhook_edge import quarantine, read_body, rejection

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def check_secret_value(secret: str) -> str | None:
    """Why a TELEGRAM_WEBHOOK_SECRET cannot be used, or None."""
    if not secret:
        return "TELEGRAM_WEBHOOK_SECRET is not set (needed in webhook mode)"
    if not SECRET_RE.match(secret):
        return "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -"
    return None


class TelegramWebhook:
    """POST /webhooks/telegram: check the secret, hand the update to the Application."""

    def __init__(self, sink: InboundSink, application: Application, inbox: TelegramInbox,
                 secret: str) -> None:
        self.sink = sink
        self.application = application
        self.inbox = inbox
        self.secret = secret

    def check_secret(self, request: Request) -> None:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            raise InvalidWebhook("missing X-Telegram-Bot-Api-Secret-Token header", status=403)
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            raise InvalidWebhook("X-Telegram-Bot-Api-Secret-Token does not match", status=403)

    async def handle(self, request: Request) -> Response:
        try:
            self.check_secret(request)
            body = await read_body(request)
        except InvalidWebhook as exc:
            return rejection(exc)
        if not self.application.running:   # Telegram keeps the update and tries again
            return PlainTextResponse("the Telegram channel is not running\n", status_code=503)
        try:
            update = self.parse(body)
        except InvalidWebhook as exc:
            return await quarantine(self.sink, CHANNEL, exc, body)
        await self.application.process_update(update)
        if self.inbox.outcomes.pop(update.update_id, None) is not None:
            return JSONResponse({"ok": False, "error": "could not store the update"},
                                status_code=503)   # Telegram delivers it again
        return JSONResponse({"ok": True})

    def parse(self, body: bytes) -> Update:
        try:
            data = check_update_json(json.loads(body))
            update = Update.de_json(data, self.application.bot)
        except InvalidWebhook:
            raise
        except Exception as exc:  # any shape PTB cannot read is the sender's error: 400
            raise InvalidWebhook(f"not a Telegram Update: {type(exc).__name__}") from None
        if update is None:
            raise InvalidWebhook("not a Telegram Update")
        return update
