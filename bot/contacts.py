"""Contacts and their stable addresses per channel; VIP status from config or the contact row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import AtiendeConfig
from bot.models import Contact, ContactIdentity

NAME_CHARS = 200


def find_contact(session: Session, channel: str, address: str) -> Contact | None:
    stmt = (select(Contact).join(ContactIdentity)
            .where(ContactIdentity.channel == channel, ContactIdentity.address == address))
    return session.scalars(stmt).first()


def find_or_create_contact(session: Session, config: AtiendeConfig, channel: str, address: str,
                           name: str | None, now: datetime) -> Contact:
    """The contact behind (channel, address), created on first contact; VIP from config."""
    contact = find_contact(session, channel, address)
    if contact is None:
        contact = Contact(name=clip_name(name), vip=config.is_vip_address(address),
                          created_at=now)
        session.add(contact)
        session.flush()
        session.add(ContactIdentity(contact_id=contact.id, channel=channel, address=address))
        session.flush()
    elif name and not contact.name:
        contact.name = clip_name(name)
    if config.is_vip_address(address) and not contact.vip:
        contact.vip = True
    return contact


def clip_name(name: str | None) -> str | None:
    """Display names come from senders: keep what fits the column (200 characters)."""
    return name[:NAME_CHARS] if name else name


def channel_of(address: str) -> str:
    """The channel an address belongs to: 'whatsapp:+57…' → whatsapp, 'a@b.co' → email."""
    prefix, sep, _ = address.partition(":")
    if sep and prefix in ("whatsapp", "telegram", "console"):
        return prefix
    return "email"


def set_vip(session: Session, config: AtiendeConfig, address: str, vip: bool,
            now: datetime) -> Contact:
    """Flag the contact behind `address` (created if new); its open tickets follow."""
    contact = find_or_create_contact(session, config, channel_of(address), address, None, now)
    contact.vip = vip
    return contact
