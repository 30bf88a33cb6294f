"""Store every inbound message first, keyed by (channel, provider id), so retries run once."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.engine.contacts import ensure_contact_id, ensure_contact_ids
from bot.engine.prepare import TurnInput
from bot.engine.store_sql import INSERT_MESSAGE, MESSAGES, CoreSql, StoreSql
from bot.store.models import Message
from channels.base import InboundMessage

# Built once: the hot path passes only parameters (no statement building per message).
MESSAGE_ID_BY_PROVIDER_ID = select(MESSAGES.c.id).where(
    MESSAGES.c.channel == bindparam("channel"),
    MESSAGES.c.provider_message_id == bindparam("provider_message_id"))
OnNew = Callable[[Session], object]


@dataclass(frozen=True)
class Accepted:
    message_id: int
    is_new: bool
    contact_id: int | None = None   # who sent it; known for a new message
    inputs: TurnInput | None = None   # what routing decides from; known for a new message


def accept_inbound(session: Session, config: AtiendeConfig, inbound: InboundMessage,
                   on_new: Callable[[Session], object] | None = None) -> Accepted:
    """Insert the message (and its contact) unless this provider id was seen already.

    Commits on its own, so the message is durable before the provider is acknowledged;
    `on_new` runs in the same transaction when the message is new. Plain SQL statements
    (no unit of work): this runs for every message before the webhook is answered.
    """
    existing = find_message_id(session, inbound.channel, inbound.provider_message_id)
    if existing is not None:
        return Accepted(existing, False)
    try:  # no SAVEPOINT: on SQLite it reads before writing and fails at once with "locked"
        return insert_message(session, config, inbound, on_new)
    except IntegrityError:  # another worker stored this id (or this new contact) first
        session.rollback()
    existing = find_message_id(session, inbound.channel, inbound.provider_message_id)
    if existing is not None:
        return Accepted(existing, False)
    return insert_message(session, config, inbound, on_new)   # the contact exists now


def insert_message(session: Session, config: AtiendeConfig, inbound: InboundMessage,
                   on_new: Callable[[Session], object] | None) -> Accepted:
    accepted = stage_message(session, config, inbound, on_new)
    session.commit()
    return accepted


def stage_message(session: Session, config: AtiendeConfig, inbound: InboundMessage,
                  on_new: Callable[[Session], object] | None) -> Accepted:
    connection = session.connection()
    contact_id = ensure_contact_id(connection, config, inbound.channel, inbound.sender,
                                   inbound.sender_name, inbound.received_at)
    values = message_values(contact_id, inbound)
    message_id = int(connection.execute(INSERT_MESSAGE, values).inserted_primary_key[0])
    if on_new is not None:
        on_new(session)
    return Accepted(message_id, True, contact_id,
                    TurnInput(inbound.text or "", inbound.language_hint))


def stage_many(session: Session, config: AtiendeConfig,
               group: Sequence[tuple[InboundMessage, OnNew | None]],
               sql: StoreSql | None = None) -> list[Accepted]:
    """accept_inbound without the commit, for a group stored in one transaction: a few
    statements for the whole group (seen ids, contacts, the inserts), not a few per message
    (storing is what a webhook waits for). Same rules and outcomes, in the group's order; a
    provider id twice in the group is new once. A conflict raises IntegrityError. `sql`
    runs the statements (by default Core statements on the session's connection)."""
    connection = session.connection()
    sql = sql or CoreSql(connection)
    seen = seen_ids(sql, [inbound for inbound, _ in group])
    new: dict[tuple[str, str], int] = {}   # provider key → index of its first copy
    for index, (inbound, _) in enumerate(group):
        key = (inbound.channel, inbound.provider_message_id)
        if key not in seen and key not in new:
            new[key] = index
    fresh = [group[index][0] for index in new.values()]
    ids = insert_messages(connection, config, fresh, sql)
    accepted = dict(zip(new, ids, strict=True))
    run_on_new(session, [group[index][1] for index in new.values()])
    return [outcome_of(index, key, seen, new, accepted)
            for index, key in enumerate((i.channel, i.provider_message_id) for i, _ in group)]


def insert_messages(connection: Connection, config: AtiendeConfig,
                    fresh: list[InboundMessage], sql: StoreSql) -> list[Accepted]:
    """Insert new messages (and their new contacts) in one statement each, in order."""
    if not fresh:
        return []
    senders: dict[tuple[str, str], tuple[str | None, datetime]] = {}
    for inbound in fresh:   # the first message's name and time count
        senders.setdefault((inbound.channel, inbound.sender),
                           (inbound.sender_name, inbound.received_at))
    contacts = ensure_contact_ids(connection, config, senders, sql.contacts)
    rows = [message_values(contacts[inbound.channel, inbound.sender], inbound)
            for inbound in fresh]
    ids = sql.insert_messages(rows)
    return [Accepted(message_id, True, row["contact_id"],
                     TurnInput(inbound.text or "", inbound.language_hint))
            for message_id, row, inbound in zip(ids, rows, fresh, strict=True)]


def run_on_new(session: Session, hooks: Sequence[OnNew | None]) -> None:
    """The new messages' hooks, in order; hooks of a kind that can run for several messages
    at once (a static `together(session, hooks)`) run once for all of that kind, after."""
    kinds: dict[type, list[OnNew]] = {}
    for hook in hooks:
        if hook is None:
            continue
        if hasattr(type(hook), "together"):
            kinds.setdefault(type(hook), []).append(hook)
        else:
            hook(session)
    for kind, members in kinds.items():
        kind.together(session, members)  # type: ignore[attr-defined]


def outcome_of(index: int, key: tuple[str, str], seen: dict[tuple[str, str], int],
               new: dict[tuple[str, str], int],
               accepted: dict[tuple[str, str], Accepted]) -> Accepted:
    if key in seen:
        return Accepted(seen[key], False)
    first = accepted[key]
    return first if new[key] == index else Accepted(first.message_id, False)


def seen_ids(sql: StoreSql, messages: Sequence[InboundMessage]) -> dict[tuple[str, str], int]:
    """(channel, provider id) → message id, for those of `messages` stored already."""
    seen: dict[tuple[str, str], int] = {}
    for channel in {message.channel for message in messages}:
        provider_ids = [m.provider_message_id for m in messages if m.channel == channel]
        seen.update(((channel, provider_id), message_id)
                    for message_id, provider_id in sql.seen(channel, provider_ids))
    return seen


def find_message(session: Session, channel: str, provider_message_id: str) -> Message | None:
    stmt = select(Message).where(Message.channel == channel,
                                 Message.provider_message_id == provider_message_id)
    return session.scalars(stmt).first()


def find_message_id(session: Session, channel: str, provider_message_id: str) -> int | None:
    return session.connection().execute(MESSAGE_ID_BY_PROVIDER_ID, {
        "channel": channel, "provider_message_id": provider_message_id}).scalar()


def build_message_row(session: Session, config: AtiendeConfig, inbound: InboundMessage) -> Message:
    contact_id = ensure_contact_id(session.connection(), config, inbound.channel, inbound.sender,
                                   inbound.sender_name, inbound.received_at)
    return Message(**message_values(contact_id, inbound))


def message_values(contact_id: int, inbound: InboundMessage) -> dict[str, Any]:
    return {"direction": "in", "channel": inbound.channel,
            "provider_message_id": inbound.provider_message_id, "contact_id": contact_id,
            "sender": inbound.sender, "text": inbound.text,
            "attachments": [attachment_record(a) for a in inbound.attachments],
            "raw": to_jsonable(dict(inbound.raw)), "status": "received",
            "created_at": inbound.received_at, "subject": inbound.subject,
            "reply_to": inbound.reply_to, "language_hint": inbound.language_hint,
            "is_automated": inbound.is_automated, "claimed_ticket": inbound.ticket_number,
            "route_failures": 0, "claim_verified": inbound.claim_verified,
            "in_reply_to": list(inbound.in_reply_to) or None,
            "thread_references": list(inbound.references) or None,
            "automated_reasons": list(inbound.automated_reasons) or None}


def attachment_record(attachment: Any) -> dict[str, Any]:
    record = dataclasses.asdict(attachment)
    record.pop("data", None)
    return record


def to_jsonable(value: Any) -> Any:
    """Raw payloads may hold bytes or datetimes; keep them readable in a JSON column."""
    if isinstance(value, dict):
        if all(type(k) is str and type(v) is str for k, v in value.items()):
            return dict(value)   # a webhook's form, as most are: nothing to convert
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, datetime):
        return value.isoformat()
    return value
