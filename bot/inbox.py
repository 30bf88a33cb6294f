"""Store every inbound message first, keyed by (channel, provider id), so retries run once."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import AtiendeConfig
from bot.contacts import find_or_create_contact
from bot.models import Message
from channels.base import InboundMessage


@dataclass(frozen=True)
class Accepted:
    message_id: int
    is_new: bool


def accept_inbound(session: Session, config: AtiendeConfig, inbound: InboundMessage) -> Accepted:
    """Insert the message (and its contact) unless this provider id was seen already.

    Commits on its own, so the message is durable before the provider is acknowledged.
    """
    existing = find_message(session, inbound.channel, inbound.provider_message_id)
    if existing is not None:
        return Accepted(existing.id, False)
    try:  # no SAVEPOINT: on SQLite it reads before writing and fails at once with "locked"
        return insert_message(session, config, inbound)
    except IntegrityError:  # another worker stored this id (or this new contact) first
        session.rollback()
    existing = find_message(session, inbound.channel, inbound.provider_message_id)
    if existing is not None:
        return Accepted(existing.id, False)
    return insert_message(session, config, inbound)   # the contact exists now


def insert_message(session: Session, config: AtiendeConfig, inbound: InboundMessage) -> Accepted:
    row = build_message_row(session, config, inbound)
    session.add(row)
    session.commit()
    return Accepted(row.id, True)


def find_message(session: Session, channel: str, provider_message_id: str) -> Message | None:
    stmt = select(Message).where(Message.channel == channel,
                                 Message.provider_message_id == provider_message_id)
    return session.scalars(stmt).first()


def build_message_row(session: Session, config: AtiendeConfig, inbound: InboundMessage) -> Message:
    contact = find_or_create_contact(session, config, inbound.channel, inbound.sender,
                                     inbound.sender_name, inbound.received_at)
    return Message(
        direction="in", channel=inbound.channel, provider_message_id=inbound.provider_message_id,
        contact_id=contact.id, sender=inbound.sender, text=inbound.text,
        attachments=[attachment_record(a) for a in inbound.attachments],
        raw=raw_record(inbound), status="received", created_at=inbound.received_at,
    )


def raw_record(inbound: InboundMessage) -> dict[str, Any]:
    """The provider payload as JSON, plus what the adapter learnt that the engine may use."""
    raw = to_jsonable(dict(inbound.raw))
    extras = {"language_hint": inbound.language_hint, "subject": inbound.subject,
              "reply_to": inbound.reply_to, "is_automated": inbound.is_automated,
              "ticket_number": inbound.ticket_number}
    raw["_atiende"] = {key: value for key, value in extras.items() if value}
    return raw


def attachment_record(attachment: Any) -> dict[str, Any]:
    record = dataclasses.asdict(attachment)
    record.pop("data", None)
    return record


def to_jsonable(value: Any) -> Any:
    """Raw payloads may hold bytes or datetimes; keep them readable in a JSON column."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, datetime):
        return value.isoformat()
    return value
