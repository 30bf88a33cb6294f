"""Conversations: one active thread per contact and channel address, with its dialogue state."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from bot.store.bounded import chunked, union_of
from bot.store.models import Conversation
from bot.store.persist import insert_all, insert_now

ConversationKey = tuple[int, str, str]   # contact id, channel, address
LATEST_CONVERSATION = (select(Conversation)   # built once: it runs for every message
                       .where(Conversation.contact_id == bindparam("contact_id"),
                              Conversation.channel == bindparam("channel"),
                              Conversation.address == bindparam("address"))
                       .order_by(Conversation.id.desc()).limit(1).with_for_update())


@functools.lru_cache(maxsize=128)
def latest_conversations(count: int) -> Select[tuple[Conversation]]:
    """The latest conversation of each of `count` addresses (bound k0_contact, k0_channel,
    k0_address, …), one row each along ix_conversations_address: an address with years of
    conversations costs what a new one does. Built once per batch size."""
    ids = union_of([select(Conversation.id).where(
        Conversation.contact_id == bindparam(f"k{n}_contact"),
        Conversation.channel == bindparam(f"k{n}_channel"),
        Conversation.address == bindparam(f"k{n}_address"))
        .order_by(Conversation.id.desc()).limit(1) for n in range(count)])
    return (select(Conversation).where(Conversation.id.in_(ids))
            .order_by(Conversation.id).with_for_update())


def key_values(keys: Sequence[ConversationKey]) -> dict[str, object]:
    values: dict[str, object] = {}
    for n, (contact_id, channel, address) in enumerate(keys):
        values.update({f"k{n}_contact": contact_id, f"k{n}_channel": channel,
                       f"k{n}_address": address})
    return values


def current_conversation(session: Session, contact_id: int, channel: str, address: str,
                         now: datetime, timeout: timedelta) -> Conversation:
    """The contact's conversation on this address, or a new one after `timeout` of silence."""
    conversation = session.scalars(LATEST_CONVERSATION, {
        "contact_id": contact_id, "channel": channel, "address": address}).first()
    if conversation is not None and not is_stale(conversation, now, timeout):
        return conversation
    conversation = new_conversation((contact_id, channel, address), now)
    insert_now(session, conversation)
    return conversation


def current_conversations(session: Session, wanted: Mapping[ConversationKey, datetime],
                          timeout: timedelta) -> tuple[dict[ConversationKey, Conversation],
                                                       set[int]]:
    """current_conversation for several addresses (each with its message's time) at once:
    one SELECT, and one INSERT for those that start a new conversation (their ids come
    second)."""
    latest: dict[ConversationKey, Conversation] = {}
    for chunk in chunked(sorted(wanted)):
        latest.update(((row.contact_id, row.channel, row.address), row) for row in
                      session.scalars(latest_conversations(len(chunk)), key_values(chunk)))
    current: dict[ConversationKey, Conversation] = {}
    started: list[Conversation] = []
    for key, now in wanted.items():
        conversation = latest.get(key)
        if conversation is None or is_stale(conversation, now, timeout):
            conversation = new_conversation(key, now)
            started.append(conversation)
        current[key] = conversation
    insert_all(session, started, unique_by=("contact_id", "channel", "address"))
    return current, {conversation.id for conversation in started}


def new_conversation(key: ConversationKey, now: datetime) -> Conversation:
    contact_id, channel, address = key
    return Conversation(contact_id=contact_id, channel=channel, address=address, state="idle",
                        context={}, created_at=now, updated_at=now)


def is_stale(conversation: Conversation, now: datetime, timeout: timedelta) -> bool:
    last = conversation.last_inbound_at or conversation.created_at
    return now - last > timeout


def set_state(conversation: Conversation, state: str, now: datetime, **context: Any) -> None:
    """Move the dialogue to `state`, replacing its context (JSON-serialisable values)."""
    conversation.state = state
    conversation.context = dict(context)
    conversation.updated_at = now


def reset_state(conversation: Conversation, now: datetime) -> None:
    set_state(conversation, "idle", now)
