"""Outbound Telegram: split at 4,096 characters, inline keyboards, rate limits, RetryAfter."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError

from channels.base import DeliveryError, DeliveryReceipt, OutboundMessage
from channels.rate_limit import RateLimiter
from channels.send_once import SendOnce
from channels.telegram.updates import CHANNEL, callback_data, chat_id_of
from channels.text_split import split_text
from channels.webhook_edge import redact

log = logging.getLogger(__name__)
MAX_TEXT_CHARS = 4096
BUTTONS_PER_ROW = 3


def keyboard(buttons: tuple[str, ...]) -> InlineKeyboardMarkup | None:
    """One inline button per label, three to a row; the label is also the callback data."""
    if not buttons:
        return None
    row_list = [[InlineKeyboardButton(label, callback_data=callback_data(label))
                 for label in buttons[start:start + BUTTONS_PER_ROW]]
                for start in range(0, len(buttons), BUTTONS_PER_ROW)]
    return InlineKeyboardMarkup(row_list)


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def to_delivery_error(exc: TelegramError) -> DeliveryError:
    """Telegram's answer as a DeliveryError: what to retry, when, and why."""
    if isinstance(exc, RetryAfter):
        return DeliveryError(f"Telegram flood control: {exc}", transient=True,
                             retry_after=retry_seconds(exc))
    if isinstance(exc, Forbidden):
        return DeliveryError(f"Telegram refused (the user blocked the bot?): {exc}",
                             transient=False)
    if isinstance(exc, BadRequest):
        return DeliveryError(f"Telegram rejected the message: {exc}", transient=False)
    if isinstance(exc, InvalidToken):
        return DeliveryError("Telegram rejected TELEGRAM_BOT_TOKEN", transient=True)
    return DeliveryError(f"Telegram unreachable: {type(exc).__name__}: {exc}", transient=True)


class TelegramChannel:
    """Channel.send for Telegram, through a `telegram.Bot` built for the running event loop."""

    name = CHANNEL
    joins_replies_up_to = MAX_TEXT_CHARS   # queued replies may leave as one message

    def __init__(self, make_bot: Callable[[], Bot], limiter: RateLimiter) -> None:
        self.make_bot = make_bot
        self.limiter = limiter
        self.bots: dict[asyncio.AbstractEventLoop, Bot] = {}
        self.sent_once = SendOnce()

    async def bot(self) -> Bot:
        """One initialised Bot per event loop (its HTTP pool belongs to that loop)."""
        loop = asyncio.get_running_loop()
        if loop not in self.bots:
            bot = self.make_bot()
            await bot.initialize()
            self.bots = {known: b for known, b in self.bots.items() if not known.is_closed()}
            self.bots[loop] = bot
        return self.bots[loop]

    async def close(self) -> None:
        bot = self.bots.pop(asyncio.get_running_loop(), None)
        if bot is not None:
            await bot.shutdown()

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        try:
            chat_id = chat_id_of(message.recipient)
        except ValueError as exc:
            raise DeliveryError(str(exc), transient=False) from None
        parts = split_text(message.text, MAX_TEXT_CHARS)
        try:
            bot = await self.bot()
            last = len(parts) - 1
            ids = [await self.send_part(bot, chat_id, part,
                                        keyboard(message.buttons) if index == last else None,
                                        key=(message.outbox_id, index, part))
                   for index, part in enumerate(parts)]
        except TelegramError as exc:
            raise to_delivery_error(exc) from exc
        log.info("telegram: sent outbox %s to %s in %s part(s)", message.outbox_id,
                 redact(message.recipient), len(ids))
        return DeliveryReceipt(provider_message_id=f"{chat_id}:{ids[0]}", status="sent")

    async def send_part(self, bot: Bot, chat_id: str, text: str,
                        markup: InlineKeyboardMarkup | None, key: tuple[object, ...]) -> int:
        """One sendMessage, once per (outbox row, part) in this process (see send_once)."""

        async def call() -> int:
            await self.limiter.wait(chat_id)
            sent = await bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)
            return sent.message_id

        return await self.sent_once.run(None if key[0] is None else key, call)
