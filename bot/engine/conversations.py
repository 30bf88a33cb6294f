"""Conversations: one active thread per contact and channel address, with its dialogue state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.store.deferred_updates import set_columns
from bot.store.models import Conversation, Message
from bot.store.persist import insert_all, insert_now

ConversationKey = tuple[int, str, str]   # contact id, channel, address
LATEST_CONVERSATION = (select(Conversation)   # built once: it runs for every message
                       .where(Conversation.contact_id == bindparam("contact_id"),
                              Conversation.channel == bindparam("channel"),
                              Conversation.address == bindparam("address"))
                       .order_by(Conversation.id.desc()).limit(1).with_for_update())


_MESSAGES, _OLDER = Message.__table__, Conversation.__table__.alias("older")
# The latest conversation of each message's address (contact, channel, sender), one row each
# along ix_conversations_address: an address with years of conversations costs what a new
# one does.
LATEST_FOR_MESSAGES = (
    select(Conversation).where(Conversation.id.in_(select(
        select(_OLDER.c.id).where(_OLDER.c.contact_id == _MESSAGES.c.contact_id,
                                  _OLDER.c.channel == _MESSAGES.c.channel,
                                  _OLDER.c.address == _MESSAGES.c.sender)
        .order_by(_OLDER.c.id.desc()).limit(1).correlate(_MESSAGES).scalar_subquery())
        .where(_MESSAGES.c.id.in_(bindparam("message_ids", expanding=True)))))
    .order_by(Conversation.id).with_for_update())


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


def current_conversations(session: Session, message_ids: Sequence[int],
                          wanted: Mapping[ConversationKey, datetime],
                          timeout: timedelta) -> tuple[dict[ConversationKey, Conversation],
                                                       set[int]]:
    """current_conversation for the addresses of stored messages (`wanted`: each address with
    its message's time) at once: one SELECT, and one INSERT for those that start a new
    conversation (their ids come second)."""
    latest = {(row.contact_id, row.channel, row.address): row for row in session.scalars(
        LATEST_FOR_MESSAGES, {"message_ids": list(message_ids)})}
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
    set_columns(conversation, state=state, context=dict(context), updated_at=now)


def reset_state(conversation: Conversation, now: datetime) -> None:
    set_state(conversation, "idle", now)
