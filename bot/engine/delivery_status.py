"""Providers' delivery status callbacks: update the outbox row, once per (message id, status)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Insert, select
from sqlalchemy import update as sql_update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.engine.outbox import MAX_ATTEMPTS
from bot.engine.outbox_signal import mark_queued
from bot.store.models import Conversation, DeliveryStatus, OutboxItem
from channels.base import DeliveryUpdate

log = logging.getLogger(__name__)
FAILED = ("failed", "undelivered", "canceled")
SHOWN_AS = {"delivered": "delivered", "read": "read"}   # anything earlier is "sent"
OUTBOX_RANK = {"sent": 3, "delivered": 4, "read": 5}


def record(session: Session, update: DeliveryUpdate, now: datetime) -> str:
    """Apply one callback: 'duplicate', 'unknown' (not our message) or what changed."""
    row_id = insert_once(session, update, now)
    if row_id is None:
        return "duplicate"
    item = find_item(session, update)
    if item is None:
        return "unknown"
    session.execute(sql_update(DeliveryStatus).where(DeliveryStatus.id == row_id)
                    .values(outbox_id=item.id))
    if update.status in FAILED:
        return record_failed(session, item, update, now)
    return record_progress(item, update)


def insert_once(session: Session, update: DeliveryUpdate, now: datetime) -> int | None:
    """The new delivery row's id; None when this (message id, status) came before.

    One INSERT … ON CONFLICT DO NOTHING, not a savepoint: on SQLite a savepoint opened
    first in a transaction commits when released, so a later failure in the same request
    could not roll the row back (and the provider's retry would read as a duplicate).
    """
    dialect = session.get_bind().dialect.name
    build = sqlite.insert if dialect == "sqlite" else postgresql.insert
    statement: Insert = build(DeliveryStatus).values(
        channel=update.channel, provider_message_id=update.provider_message_id,
        status=update.status, error_code=update.error_code, raw=dict(update.raw), at=now,
    ).on_conflict_do_nothing().returning(DeliveryStatus.id)
    return session.execute(statement).scalar()


def find_item(session: Session, update: DeliveryUpdate) -> OutboxItem | None:
    """The row by the provider id we stored, else by the outbox id the callback URL carried
    (split texts, or a send whose commit was lost)."""
    stmt = (select(OutboxItem).where(OutboxItem.channel == update.channel,
                                     OutboxItem.provider_message_id == update.provider_message_id)
            .with_for_update())
    item = session.scalars(stmt).first()
    if item is None and update.outbox_hint is not None:
        item = session.get(OutboxItem, update.outbox_hint, with_for_update=True)
        if item is not None and item.channel != update.channel:
            return None
    return item


def record_progress(item: OutboxItem, update: DeliveryUpdate) -> str:
    """queued → sent → delivered → read; never backwards, never over a failure."""
    shown = SHOWN_AS.get(update.status, "sent")
    if item.status in ("pending", "sending") and item.provider_message_id is None:
        # the send's commit was lost, or the provider reported back before our call returned
        item.provider_message_id = update.provider_message_id
        item.status = shown
        return shown
    if OUTBOX_RANK.get(item.status, 99) < OUTBOX_RANK[shown]:
        item.status = shown
        return shown
    return "unchanged"


def record_failed(session: Session, item: OutboxItem, update: DeliveryUpdate,
                  now: datetime) -> str:
    """A failure; a closed messaging window marks the conversation and sends it again."""
    reason = f"{update.error_message or update.status} (error {update.error_code or 'none'})"
    if update.window_closed and item.attempts < MAX_ATTEMPTS:
        mark_window_closed(session, item.channel, item.recipient, now)
        item.status = "pending"
        item.next_attempt_at = now
        mark_queued(session)
        item.last_error = (f"{reason}: outside the 24 h window; sending again as a template "
                           f"(or held if none is configured)")
        return "requeued"
    item.status = "failed"
    item.last_error = reason
    log.warning("%s: outbox %s failed: %s", item.channel, item.id, reason)
    return "failed"


def mark_window_closed(session: Session, channel: str, address: str, now: datetime) -> None:
    """The provider says only templates reach this customer until they write again."""
    session.execute(sql_update(Conversation)
                    .where(Conversation.channel == channel, Conversation.address == address)
                    .values(template_required_at=now))
