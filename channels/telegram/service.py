"""The Telegram Application's life in `atiende serve`: getMe at startup, polling if so set."""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, TypeHandler

from channels.base import ChannelOff, SingletonLock
from channels.telegram.client import api_urls, http_request, redact_token
from channels.telegram.config import TelegramConfig
from channels.telegram.inbox import TelegramInbox
from channels.telegram.updates import ALLOWED_UPDATES

log = logging.getLogger(__name__)
LOCK_RETRY_SECONDS = 15  # a polling worker waiting for the poller lock asks again this often


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
                 lock: SingletonLock) -> None:
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
