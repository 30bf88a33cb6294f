"""The live-chat widget's reads and its one write (channels/webchat/history.py's WebHistory):
a visitor's conversation, the email they leave, and copies of replies to it when they left."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session, sessionmaker

from bot.config.root import AtiendeConfig
from bot.engine import outbox
from bot.engine.contacts import find_contact, find_or_create_contact
from bot.store.db import transaction
from bot.store.models import ContactIdentity, Message, OutboxItem
from channels.webchat.history import MAX_HISTORY
from channels.webchat.identity import CHANNEL
from scheduler.clock import Clock

IN_COLUMNS = (Message.id, Message.created_at, Message.raw, Message.provider_message_id,
              Message.text, Message.attachments)
OUT_COLUMNS = (OutboxItem.id, OutboxItem.created_at, OutboxItem.in_reply_to, OutboxItem.payload)


class StoredWebHistory:
    """Each call is one short session on the engine's database."""

    def __init__(self, factory: sessionmaker[Session], config: AtiendeConfig,
                 clock: Clock) -> None:
        self.factory = factory
        self.config = config
        self.clock = clock

    def history(self, address: str, limit: int = MAX_HISTORY) -> list[dict[str, Any]]:
        with self.factory() as session:   # columns, not ORM objects: read on every stream open
            inbound = session.execute(
                select(*IN_COLUMNS).where(Message.channel == CHANNEL, Message.sender == address,
                                          Message.direction == "in")
                .order_by(Message.id.desc()).limit(limit)).all()
            sent = session.execute(
                select(*OUT_COLUMNS).where(OutboxItem.channel == CHANNEL,
                                           OutboxItem.recipient == address)
                .order_by(OutboxItem.id.desc()).limit(limit)).all()
            keyed = [*((order_in(m), inbound_entry(m)) for m in inbound),
                     *((order_out(i), outbound_entry(i)) for i in sent)]
        keyed.sort(key=lambda pair: pair[0])
        return [entry for _key, entry in keyed][-limit:]

    def link_email(self, address: str, email: str) -> bool:
        with transaction(self.factory) as session:
            owner = find_contact(session, "email", email)
            contact = find_or_create_contact(session, self.config, CHANNEL, address, None,
                                             self.clock.now())
            if owner is not None:
                return owner.id == contact.id
            session.add(ContactIdentity(contact_id=contact.id, channel="email", address=email))
        return True

    def forward_by_email(self, address: str, outbox_id: int) -> bool:
        with transaction(self.factory) as session:
            contact = find_contact(session, CHANNEL, address)
            item = session.get(OutboxItem, outbox_id)
            if contact is None or item is None:
                return False
            email = session.scalars(select(ContactIdentity.address).where(
                ContactIdentity.contact_id == contact.id,
                ContactIdentity.channel == "email")).first()
            if email is None:
                return False
            subject = item.payload.get("subject") or f"{self.config.bot.company_name}: chat"
            payload = item.payload
            outbox.enqueue(session, channel="email", recipient=email,
                           text=payload.get("text", ""), kind=payload.get("kind", "reply"),
                           ticket_id=item.ticket_id, subject=subject, now=self.clock.now())
        return True


def order_in(message: Row[Any]) -> tuple[datetime, int, int, int]:
    return (message.created_at, message.id, 0, message.id)


def order_out(item: Row[Any]) -> tuple[datetime, int, int, int]:
    """A reply sorts right after the message it answers, even at the same instant."""
    return (item.created_at, item.in_reply_to or 2**62, 1, item.id)


def inbound_entry(message: Row[Any]) -> dict[str, Any]:
    raw = message.raw or {}
    ident = raw.get("id") or message.provider_message_id.rpartition("/")[2]
    return {"id": ident, "direction": "in", "text": message.text, "buttons": [],
            "kind": "message", "at": stamp(message.created_at),
            "attachments": [a.get("filename", "") for a in message.attachments or []]}


def outbound_entry(item: Row[Any]) -> dict[str, Any]:
    payload = item.payload or {}
    return {"id": f"out-{item.id}", "direction": "out", "text": payload.get("text", ""),
            "buttons": list(payload.get("buttons", [])), "kind": payload.get("kind", "reply"),
            "at": stamp(item.created_at), "attachments": []}


def stamp(at: datetime) -> str:
    return at.isoformat()
