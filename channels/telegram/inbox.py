"""The Telegram Application's one handler: translate the update, fetch its media, store it."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from channels.base import Attachment, InboundMessage, InboundSink
from channels.media import MediaError, MediaStore, file_name
from channels.telegram.updates import CHANNEL, FileRef, files_of, to_inbound

log = logging.getLogger(__name__)


class TelegramInbox:
    """The Application's one handler: translate, fetch media, store; remember the outcome."""

    def __init__(self, sink: InboundSink, now: Callable[[], datetime], media: MediaStore,
                 report_outcomes: bool) -> None:
        self.sink = sink
        self.now = now
        self.media = media
        self.report_outcomes = report_outcomes
        self.outcomes: dict[int, BaseException | None] = {}

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self.store(update, context.bot)
            outcome: BaseException | None = None
        except Exception as exc:  # reported to the webhook, which answers 500
            log.exception("telegram: update %s could not be stored", update.update_id)
            outcome = exc
        if self.report_outcomes:
            self.outcomes[update.update_id] = outcome

    async def store(self, update: Update, bot: Bot) -> None:
        inbound = to_inbound(update, self.now())
        if inbound is None:
            log.info("telegram: update %s ignored (not a private message or button tap)",
                     update.update_id)
            return
        refs = files_of(update.message) if update.message else []
        if refs and await run_in_threadpool(self.is_known, inbound):
            return
        if refs:
            inbound = await self.fetch_media(inbound, refs, bot)
        await self.sink.accept(inbound)
        if update.callback_query is not None:
            await answer_quietly(update)

    def is_known(self, inbound: InboundMessage) -> bool:
        return self.sink.has_seen(CHANNEL, inbound.provider_message_id)

    async def fetch_media(self, inbound: InboundMessage, refs: list[FileRef],
                          bot: Bot) -> InboundMessage:
        kept: list[Attachment] = []
        problems: list[str] = []
        for index, ref in enumerate(refs):
            try:
                kept.append(await self.fetch_one(inbound.provider_message_id, index, ref, bot))
            except (MediaError, TelegramError) as exc:
                problems.append(f"file {ref.file_id}: {exc}")
                kept.append(Attachment(filename=ref.name or f"{index}",
                                       content_type=ref.content_type, size=ref.size))
        raw = {**inbound.raw, "_media_errors": problems} if problems else inbound.raw
        return dataclasses.replace(inbound, attachments=tuple(kept), raw=raw)

    async def fetch_one(self, key: str, index: int, ref: FileRef, bot: Bot) -> Attachment:
        cap = self.media.max_bytes
        if ref.size is not None and ref.size > cap:
            raise MediaError(f"media is {ref.size} bytes, over the {cap}-byte cap")
        remote = await bot.get_file(ref.file_id)
        if remote.file_size is not None and remote.file_size > cap:
            raise MediaError(f"media is {remote.file_size} bytes, over the {cap}-byte cap")
        data = bytes(await remote.download_as_bytearray())
        if len(data) > cap:
            raise MediaError(f"media is over the {cap}-byte cap")
        name = file_name(index, ref.content_type, ref.name)
        return await run_in_threadpool(self.media.save, key, name, ref.content_type, data)


async def answer_quietly(update: Update) -> None:
    """Stop the button's spinner (after the tap is stored); the reply comes via the outbox."""
    try:
        await update.callback_query.answer()  # type: ignore[union-attr]
    except TelegramError as exc:
        log.info("telegram: answerCallbackQuery failed: %s", exc)
