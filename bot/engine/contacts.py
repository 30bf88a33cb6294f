"""Contacts and their stable addresses per channel; VIP status from config or the contact row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.store.models import Contact, ContactIdentity

NAME_CHARS = 200
CONTACTS = Contact.__table__
IDENTITIES = ContactIdentity.__table__
# Built once: the hot path passes only parameters (no statement building per message).
CONTACT_BY_ADDRESS = (select(CONTACTS.c.id, CONTACTS.c.name, CONTACTS.c.vip)
                      .join(IDENTITIES, IDENTITIES.c.contact_id == CONTACTS.c.id)
                      .where(IDENTITIES.c.channel == bindparam("channel"),
                             IDENTITIES.c.address == bindparam("address")))
INSERT_CONTACT = insert(CONTACTS)
INSERT_IDENTITY = insert(IDENTITIES)


def find_contact(session: Session, channel: str, address: str) -> Contact | None:
    stmt = (select(Contact).join(ContactIdentity)
            .where(ContactIdentity.channel == channel, ContactIdentity.address == address))
    return session.scalars(stmt).first()


def find_or_create_contact(session: Session, config: AtiendeConfig, channel: str, address: str,
                           name: str | None, now: datetime) -> Contact:
    """The contact behind (channel, address), created on first contact; VIP from config."""
    session.flush()  # nothing pending may be overwritten by the fresh load below
    contact_id = ensure_contact_id(session.connection(), config, channel, address, name, now)
    contact = session.get(Contact, contact_id, populate_existing=True)
    assert contact is not None
    return contact


def ensure_contact_id(connection: Connection, config: AtiendeConfig, channel: str, address: str,
                      name: str | None, now: datetime) -> int:
    """find_or_create_contact in plain SQL statements, for the inbound hot path.

    Fills in a display name the contact lacks and raises VIP status from config.
    """
    is_vip = config.is_vip_address(address)
    found = connection.execute(CONTACT_BY_ADDRESS, {"channel": channel, "address": address}).first()
    if found is None:
        created = connection.execute(INSERT_CONTACT, {"name": clip_name(name), "vip": is_vip,
                                                      "created_at": now})
        contact_id = int(created.inserted_primary_key[0])
        connection.execute(INSERT_IDENTITY, {"contact_id": contact_id, "channel": channel,
                                             "address": address})
        return contact_id
    changes: dict[str, object] = {}
    if name and not found.name:
        changes["name"] = clip_name(name)
    if is_vip and not found.vip:
        changes["vip"] = True
    if changes:
        connection.execute(update(CONTACTS).where(CONTACTS.c.id == found.id).values(changes))
    return int(found.id)


def clip_name(name: str | None) -> str | None:
    """Display names come from senders: keep what fits the column (200 characters)."""
    return name[:NAME_CHARS] if name else name


def channel_of(address: str) -> str:
    """The channel an address belongs to: 'whatsapp:+57…' → whatsapp, 'a@b.co' → email."""
    prefix, sep, _ = address.partition(":")
    if sep and prefix in ("whatsapp", "telegram", "console", "web"):
        return prefix
    return "email"


def set_vip(session: Session, config: AtiendeConfig, address: str, vip: bool,
            now: datetime) -> Contact:
    """Flag the contact behind `address` (created if new); its open tickets follow."""
    contact = find_or_create_contact(session, config, channel_of(address), address, None, now)
    contact.vip = vip
    return contact
