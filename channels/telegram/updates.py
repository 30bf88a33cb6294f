"""Telegram updates → `InboundMessage`: text, photos, documents, voice, location, button taps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from telegram import CallbackQuery, Chat, Message, Update, User

from channels.base import InboundMessage, InvalidWebhook
from channels.telegram.shape import check_update_shape, find_unstorable_text

CHANNEL = "telegram"
CALLBACK_DATA_BYTES = 64
ALLOWED_UPDATES = ("message", "callback_query")


@dataclass(frozen=True)
class FileRef:
    """An attachment still on Telegram's servers (fetched with getFile)."""

    file_id: str
    name: str | None
    content_type: str
    size: int | None


def address_of(chat_id: int | str) -> str:
    return f"{CHANNEL}:{chat_id}"


def chat_id_of(address: str) -> str:
    prefix, sep, rest = address.partition(":")
    if prefix != CHANNEL or not sep or not rest.lstrip("-").isdigit():
        raise ValueError(f"not a Telegram chat address: {address!r}")
    return rest


def callback_data(label: str) -> str:
    """A button's label as its callback data (Telegram allows 64 bytes)."""
    return label.encode("utf-8")[:CALLBACK_DATA_BYTES].decode("utf-8", errors="ignore")


def language_hint(user: User | None) -> str | None:
    code = (user.language_code or "") if user else ""
    return code[:2].lower() or None


def display_name(user: User | None) -> str | None:
    return user.full_name.strip() or None if user else None


def files_of(message: Message) -> list[FileRef]:
    """The message's media; a photo comes in several sizes and we keep the largest."""
    found = []
    if message.photo:
        largest = message.photo[-1]
        found.append(FileRef(largest.file_id, None, "image/jpeg", largest.file_size))
    for media, default_type in ((message.document, "application/octet-stream"),
                                (message.voice, "audio/ogg"), (message.audio, "audio/mpeg"),
                                (message.video, "video/mp4")):
        if media is not None:
            found.append(FileRef(media.file_id, getattr(media, "file_name", None),
                                 media.mime_type or default_type, media.file_size))
    return found


START_COMMAND = re.compile(r"^/start(?:@\w+)?(?:\s+\S+)?\s*$")


def message_text(message: Message) -> str:
    """Text or caption; a shared location as "📍 lat,lon title address"; "/start" with a
    deep-link payload or the bot's @name is "/start" (the payload stays in the raw update)."""
    text = message.text or message.caption or ""
    if START_COMMAND.match(text):
        return "/start"
    if not text and message.location is not None:
        where = message.venue
        label = f" {where.title} {where.address}" if where else ""
        text = f"📍 {message.location.latitude},{message.location.longitude}{label}"
    return text


def from_message(update: Update, received_at: datetime) -> InboundMessage:
    message = update.message
    assert message is not None
    return InboundMessage(
        channel=CHANNEL, provider_message_id=str(update.update_id),
        sender=address_of(message.chat.id), text=message_text(message),
        received_at=received_at, sender_name=display_name(message.from_user),
        reply_to=reply_reference(message), language_hint=language_hint(message.from_user),
        raw=update.to_dict(),
    )


def reply_reference(message: Message) -> str | None:
    replied = message.reply_to_message
    return f"{message.chat.id}:{replied.message_id}" if replied else None


def button_label(query: CallbackQuery) -> str:
    """The tapped button's label, found in the keyboard it belongs to; else its data."""
    data = query.data or ""
    message = query.message
    markup = getattr(message, "reply_markup", None)
    for row in (markup.inline_keyboard if markup else ()):
        for button in row:
            if button.callback_data == data:
                return button.text
    return data


def from_callback(update: Update, received_at: datetime) -> InboundMessage:
    """A tap on one of our inline buttons reads as the customer typing its label."""
    query = update.callback_query
    assert query is not None
    chat: Chat | None = query.message.chat if query.message else None
    sender = address_of(chat.id if chat else query.from_user.id)
    replied = f"{chat.id}:{query.message.message_id}" if chat and query.message else None
    return InboundMessage(
        channel=CHANNEL, provider_message_id=str(update.update_id), sender=sender,
        text=button_label(query), received_at=received_at,
        sender_name=display_name(query.from_user), reply_to=replied,
        language_hint=language_hint(query.from_user), raw=update.to_dict(),
    )


def to_inbound(update: Update, received_at: datetime) -> InboundMessage | None:
    """The update as a customer message, or None for updates we do not handle."""
    if update.message is not None and update.message.chat.type == Chat.PRIVATE:
        return from_message(update, received_at)
    if update.callback_query is not None:
        return from_callback(update, received_at)
    return None


def check_update_json(data: object) -> dict[str, object]:
    """The webhook body must be an Update object with an integer update_id, storable text and
    the fields we read of the types Telegram sends."""
    if not isinstance(data, dict):
        raise InvalidWebhook("body is not a JSON object")
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise InvalidWebhook("missing or non-integer update_id")
    bad = find_unstorable_text(data)
    if bad:
        raise InvalidWebhook(f"{bad} holds NUL or a lone surrogate")
    check_update_shape(data)
    return data
