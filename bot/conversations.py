"""Conversations: one active thread per contact and channel address, with its dialogue state."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.models import Conversation
from bot.persist import insert_now

LATEST_CONVERSATION = (select(Conversation)   # built once: it runs for every message
                       .where(Conversation.contact_id == bindparam("contact_id"),
                              Conversation.channel == bindparam("channel"),
                              Conversation.address == bindparam("address"))
                       .order_by(Conversation.id.desc()).with_for_update())


def current_conversation(session: Session, contact_id: int, channel: str, address: str,
                         now: datetime, timeout: timedelta) -> Conversation:
    """The contact's conversation on this address, or a new one after `timeout` of silence."""
    conversation = session.scalars(LATEST_CONVERSATION, {
        "contact_id": contact_id, "channel": channel, "address": address}).first()
    if conversation is not None and not is_stale(conversation, now, timeout):
        return conversation
    conversation = Conversation(contact_id=contact_id, channel=channel, address=address,
                                state="idle", context={}, created_at=now, updated_at=now)
    insert_now(session, conversation)
    return conversation


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
