"""Twilio status callbacks: update the outbox row, once per (MessageSid, MessageStatus)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.engine.outbox import MAX_ATTEMPTS
from bot.store.models import Conversation, DeliveryStatus, OutboxItem
from channels.twilio_wire import CHANNEL, StatusReport

log = logging.getLogger(__name__)
WINDOW_CLOSED = "63016"
FAILED = ("failed", "undelivered", "canceled")
PROGRESS = {"accepted": 1, "scheduled": 1, "queued": 1, "sending": 2, "sent": 3,
            "delivered": 4, "read": 5}
SHOWN_AS = {"delivered": "delivered", "read": "read"}   # anything earlier is "sent"
OUTBOX_RANK = {"sent": 3, "delivered": 4, "read": 5}


def record_status(session: Session, report: StatusReport, outbox_hint: int | None,
                  now: datetime, window_closed: Callable[[str], object] | None = None) -> str:
    """Apply one callback: 'duplicate', 'unknown' (not our message) or what changed.

    `window_closed(address)` hears of a 63016 (the sender's cached window is then stale).
    """
    row_id = insert_once(session, report, now)
    if row_id is None:
        return "duplicate"
    item = find_item(session, report.message_sid, outbox_hint)
    if item is None:
        return "unknown"
    session.execute(update(DeliveryStatus).where(DeliveryStatus.id == row_id)
                    .values(outbox_id=item.id))
    if report.status in FAILED:
        return record_failed(session, item, report, now, window_closed)
    return record_progress(item, report)


def insert_once(session: Session, report: StatusReport, now: datetime) -> int | None:
    """The new delivery row's id; None when this (MessageSid, MessageStatus) came before.

    One INSERT … ON CONFLICT DO NOTHING, not a savepoint: on SQLite a savepoint opened
    first in a transaction commits when released, so a later failure in the same request
    could not roll the row back (and the provider's retry would read as a duplicate).
    """
    dialect = session.get_bind().dialect.name
    build = sqlite.insert if dialect == "sqlite" else postgresql.insert
    statement: Insert = build(DeliveryStatus).values(
        channel=CHANNEL, provider_message_id=report.message_sid, status=report.status,
        error_code=report.error_code, raw=report.raw, at=now,
    ).on_conflict_do_nothing().returning(DeliveryStatus.id)
    return session.execute(statement).scalar()


def find_item(session: Session, message_sid: str, outbox_hint: int | None) -> OutboxItem | None:
    """The row by the SID we stored, else by the outbox id in the callback URL (split texts,
    or a send whose commit was lost)."""
    stmt = (select(OutboxItem).where(OutboxItem.channel == CHANNEL,
                                     OutboxItem.provider_message_id == message_sid)
            .with_for_update())
    item = session.scalars(stmt).first()
    if item is None and outbox_hint is not None:
        item = session.get(OutboxItem, outbox_hint, with_for_update=True)
        if item is not None and item.channel != CHANNEL:
            return None
    return item


def record_progress(item: OutboxItem, report: StatusReport) -> str:
    """queued → sent → delivered → read; never backwards, never over a failure."""
    shown = SHOWN_AS.get(report.status, "sent")
    if item.status == "pending" and item.provider_message_id is None:
        item.provider_message_id = report.message_sid   # the send's commit was lost
        item.status = shown
        return shown
    if OUTBOX_RANK.get(item.status, 99) < OUTBOX_RANK[shown]:
        item.status = shown
        return shown
    return "unchanged"


def record_failed(session: Session, item: OutboxItem, report: StatusReport,
                  now: datetime, window_closed: Callable[[str], object] | None = None) -> str:
    """A failure; 63016 (window closed) marks the conversation and sends it again."""
    reason = f"Twilio {report.status} (error {report.error_code or 'none'})"
    if report.error_code == WINDOW_CLOSED and item.attempts < MAX_ATTEMPTS:
        mark_window_closed(session, item.recipient, now)
        if window_closed is not None:
            window_closed(item.recipient)
        item.status = "pending"
        item.next_attempt_at = now
        item.last_error = (f"{reason}: outside the 24 h window; sending again as a template "
                           f"(or held if none is configured)")
        return "requeued"
    item.status = "failed"
    item.last_error = reason
    log.warning("whatsapp: outbox %s failed: %s", item.id, reason)
    return "failed"


def mark_window_closed(session: Session, address: str, now: datetime) -> None:
    """The provider says only templates reach this customer until they write again."""
    session.execute(update(Conversation)
                    .where(Conversation.channel == CHANNEL, Conversation.address == address)
                    .values(template_required_at=now))
