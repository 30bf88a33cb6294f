"""Telegram via python-telegram-bot: webhook (`/webhooks/telegram`) or polling, and the plugin."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import re
from collections.abc import Mapping

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, TypeHandler
from telegram.request import HTTPXRequest

from bot.app import Runtime
from bot.config.root import TelegramConfig
from bot.store.poller_lock import TELEGRAM_POLLER, PollerLock
from channels.base import ChannelOff, InvalidWebhook
from channels.media import media_store, tls_context
from channels.rate_limit import RateLimiter
from channels.registry import ChannelPlugin, off
from channels.telegram_inbox import TelegramInbox
from channels.telegram_sender import TelegramChannel
from channels.telegram_updates import ALLOWED_UPDATES, CHANNEL, check_update_json
from channels.webhook_edge import quarantine, read_body, rejection

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
LOCK_RETRY_SECONDS = 15  # a polling worker waiting for the poller lock asks again this often


def api_urls(config: TelegramConfig) -> tuple[str, str]:
    """(base_url, base_file_url) for `telegram.Bot`, from channels.telegram.api_base_url."""
    base = config.api_base_url.rstrip("/")
    return f"{base}/bot", f"{base}/file/bot"


def http_request(pool_size: int) -> HTTPXRequest:
    return HTTPXRequest(connection_pool_size=pool_size, httpx_kwargs={"verify": tls_context()})


def make_bot(config: TelegramConfig, token: str) -> Bot:
    base_url, base_file_url = api_urls(config)
    return Bot(token, base_url=base_url, base_file_url=base_file_url,
               request=http_request(8), get_updates_request=http_request(1))


class TelegramWebhook:
    """POST /webhooks/telegram: check the secret, hand the update to the Application."""

    def __init__(self, runtime: Runtime, application: Application, inbox: TelegramInbox,
                 secret: str) -> None:
        self.runtime = runtime
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
            return await quarantine(self.runtime.factory, CHANNEL, exc, body,
                                    self.runtime.clock.now())
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


def build_application(config: TelegramConfig, token: str, inbox: TelegramInbox) -> Application:
    base_url, base_file_url = api_urls(config)
    builder = (ApplicationBuilder().token(token).base_url(base_url).base_file_url(base_file_url)
               .request(http_request(64)).get_updates_request(http_request(1)))
    if config.mode == "webhook":
        builder = builder.updater(None)
    application = builder.build()
    application.add_handler(TypeHandler(Update, inbox.on_update))
    return application


class TelegramService:
    """The Application's life in `atiende serve`: getMe at startup, polling in polling mode.

    In polling mode only the worker holding the poller lock (PostgreSQL) calls getUpdates;
    Telegram serves one poller per bot. The others send and take over when it stops.
    """

    def __init__(self, application: Application, config: TelegramConfig, token: str,
                 lock: PollerLock) -> None:
        self.application = application
        self.config = config
        self.token = token
        self.lock = lock
        self.waiting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """A token Telegram rejects leaves this channel off with one log line; the rest runs."""
        try:
            await self.application.initialize()
            if self.application.updater is not None and not await self.take_over():
                log.info("telegram: another worker polls this bot; this one sends, and polls "
                         "if that worker stops")
                self.waiting = asyncio.create_task(self.wait_to_poll())
            await self.application.start()
        except TelegramError as exc:
            raise ChannelOff(redact_token(str(exc), self.token)) from None

    async def take_over(self) -> bool:
        """Start polling if this worker gets the poller lock; False if another one has it."""
        updater = self.application.updater
        if updater is None or updater.running:
            return True
        if not await run_in_threadpool(self.lock.try_take):
            return False
        await updater.start_polling(poll_interval=self.config.poll_interval_seconds,
                                    timeout=self.config.poll_timeout_seconds,
                                    allowed_updates=list(ALLOWED_UPDATES))
        return True

    async def wait_to_poll(self) -> None:
        while True:
            try:
                if await self.take_over():
                    return
            except Exception:  # the database or Telegram is down for now: ask again later
                log.warning("telegram: could not take over polling; trying again in %s s",
                            LOCK_RETRY_SECONDS, exc_info=True)
            await asyncio.sleep(LOCK_RETRY_SECONDS)

    async def stop(self) -> None:
        if self.waiting is not None:  # the lock's own mutex orders a take in flight and release
            self.waiting.cancel()
            await asyncio.gather(self.waiting, return_exceptions=True)
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        await run_in_threadpool(self.lock.release)
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()


def redact_token(text: str, token: str) -> str:
    return text.replace(token, "<TELEGRAM_BOT_TOKEN>") if token else text


def check_secret_value(secret: str) -> str | None:
    """Why a TELEGRAM_WEBHOOK_SECRET cannot be used, or None."""
    if not secret:
        return "TELEGRAM_WEBHOOK_SECRET is not set (needed in webhook mode)"
    if not SECRET_RE.match(secret):
        return "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -"
    return None


def build_plugin(runtime: Runtime, environ: Mapping[str, str] | None = None) -> ChannelPlugin:
    """Telegram is on with TELEGRAM_BOT_TOKEN (and TELEGRAM_WEBHOOK_SECRET in webhook mode)."""
    env = os.environ if environ is None else environ
    config = runtime.config.channels.telegram
    if config is None:
        return off(CHANNEL, "no channels.telegram section in config.yaml")
    token = env.get("TELEGRAM_BOT_TOKEN", "")
    if not token:
        return off(CHANNEL, "TELEGRAM_BOT_TOKEN is not set")
    secret = env.get("TELEGRAM_WEBHOOK_SECRET", "")
    problem = check_secret_value(secret) if config.mode == "webhook" else None
    if problem:
        return off(CHANNEL, problem)
    return build_on(runtime, config, token, secret)


def build_on(runtime: Runtime, config: TelegramConfig, token: str, secret: str) -> ChannelPlugin:
    media = media_store(runtime.config, config.media_dir, CHANNEL, config.media_max_bytes)
    inbox = TelegramInbox(runtime, media, report_outcomes=config.mode == "webhook")
    application = build_application(config, token, inbox)
    limiter = RateLimiter(config.per_chat_per_second, config.overall_per_second)
    channel = TelegramChannel(lambda: make_bot(config, token), limiter)
    service = TelegramService(application, config, token,
                              PollerLock(runtime.engine, TELEGRAM_POLLER))
    plugin = ChannelPlugin(name=CHANNEL, status="on: polling getUpdates (development mode)",
                           channel=channel, startup=[service.start],
                           shutdown=[service.stop, channel.close])
    if config.mode == "webhook":
        webhook = TelegramWebhook(runtime, application, inbox, secret)
        plugin.routes = [Route(WEBHOOK_PATH, webhook.handle, methods=["POST"])]
        plugin.status = (f"on: webhook {runtime.config.http.public_url.rstrip('/')}"
                         f"{WEBHOOK_PATH} (register it with `atiende telegram set-webhook`)")
    return plugin
