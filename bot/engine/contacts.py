"""Contacts and their stable addresses per channel; VIP status from config or the contact row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, bindparam, insert, select, update
from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.store.driver_sql import core_select_in
from bot.store.models import Contact, ContactIdentity

NAME_CHARS = 200
CONTACTS = Contact.__table__
IDENTITIES = ContactIdentity.__table__
INSERT_CONTACT = insert(CONTACTS)
INSERT_IDENTITY = insert(IDENTITIES)


class KnownContact(NamedTuple):
    """What a contact lookup gives back per known address."""

    address: str
    id: int
    name: str | None
    vip: bool


FindContacts = Callable[[str, Sequence[str]], Iterable[KnownContact]]


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
    return ensure_contact_ids(connection, config, {(channel, address): (name, now)})[
        (channel, address)]


def ensure_contact_ids(connection: Connection, config: AtiendeConfig,
                       senders: Mapping[tuple[str, str], tuple[str | None, datetime]],
                       known: FindContacts | None = None) -> dict[tuple[str, str], int]:
    """ensure_contact_id for a group of (channel, address) → (name, first seen), in one
    lookup per channel (`known`, by default a Core query on `connection`) and one insert each
    for the contacts and identities that are new."""
    find = known or partial(known_contacts, connection)
    found: dict[tuple[str, str], KnownContact] = {}
    for channel in {channel for channel, _ in senders}:
        addresses = [address for ch, address in senders if ch == channel]
        found.update(((channel, row.address), row) for row in find(channel, addresses))
    ids = {key: update_contact(connection, config, key[1], senders[key][0], row)
           for key, row in found.items()}
    new = [key for key in senders if key not in found]
    if new:
        ids.update(zip(new, create_contacts(connection, config, new, senders), strict=True))
    return ids


def known_contacts(connection: Connection, channel: str,
                   addresses: Sequence[str]) -> list[KnownContact]:
    """The contacts behind those of `addresses` known on `channel`, through Core."""
    return [KnownContact(*row) for row in core_select_in(
        connection, contacts_in, {"channel": channel}, addresses)]


def contacts_in(addresses: Any) -> Select[Any]:
    """The contact lookup, given its IN's parameter(s) (see `driver_sql.select_in`)."""
    return (select(IDENTITIES.c.address, CONTACTS.c.id, CONTACTS.c.name, CONTACTS.c.vip)
            .join(IDENTITIES, IDENTITIES.c.contact_id == CONTACTS.c.id)
            .where(IDENTITIES.c.channel == bindparam("channel"),
                   IDENTITIES.c.address.in_(addresses)))


def create_contacts(connection: Connection, config: AtiendeConfig, keys: list[tuple[str, str]],
                    senders: Mapping[tuple[str, str], tuple[str | None, datetime]]) -> list[int]:
    created = connection.execute(
        INSERT_CONTACT.returning(CONTACTS.c.id, sort_by_parameter_order=True),
        [{"name": clip_name(senders[key][0]), "vip": config.is_vip_address(key[1]),
          "created_at": senders[key][1]} for key in keys])
    ids = [int(contact_id) for contact_id in created.scalars()]
    connection.execute(INSERT_IDENTITY, [
        {"contact_id": contact_id, "channel": channel, "address": address}
        for contact_id, (channel, address) in zip(ids, keys, strict=True)])
    return ids


def update_contact(connection: Connection, config: AtiendeConfig, address: str,
                   name: str | None, found: KnownContact) -> int:
    """A known contact: fill in a display name it lacks, raise VIP status from config."""
    changes: dict[str, object] = {}
    if name and not found.name:
        changes["name"] = clip_name(name)
    if config.is_vip_address(address) and not found.vip:
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
