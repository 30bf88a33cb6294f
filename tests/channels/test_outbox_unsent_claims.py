"""A process that dies (or loses its database) in the middle of one recipient's line of
claimed rows: only the row that was under way has an unknown outcome; the rows after it were
never handed to the provider, so they are sent, in order, not written off as "unknown"."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from bot.engine.outbox import CLAIM_SECONDS, SENDING, UNKNOWN_OUTCOME, enqueue
from bot.store.db import transaction
from bot.store.models import OutboxItem
from channels.send_once import SendOnce
from scheduler.clock import FixedClock
from tests.channels.conftest import Live
from tests.fakes.telegram_api import FakeTelegram

CHAT = "telegram:4242"
TEXTS = ["Primero", "Segundo", "Tercero"]


def claimed_then_lost(live: Live, claimed_at: datetime, first_done: bool) -> None:
    """Three rows claimed together; the first one's send under way (or done and recorded)
    when the process went away; the restarted process remembers nothing."""
    live.telegram.channel.sent_once = SendOnce()  # type: ignore[union-attr]
    with transaction(live.runtime.factory) as session:
        for text in TEXTS:
            enqueue(session, channel="telegram", recipient=CHAT, text=text, now=claimed_at)
    lease_end = claimed_at + timedelta(seconds=CLAIM_SECONDS)
    rows = sorted(row.id for row in live.outbox("telegram"))
    with transaction(live.runtime.factory) as session:
        session.execute(update(OutboxItem).values(status=SENDING, attempts=1,
                                                  next_attempt_at=lease_end))
        if first_done:
            session.execute(update(OutboxItem).where(OutboxItem.id == rows[0]).values(
                status="sent", next_attempt_at=claimed_at))


def later(clock: FixedClock) -> datetime:
    return clock.now() + timedelta(seconds=CLAIM_SECONDS + 1)


def test_only_the_row_under_way_is_unknown_the_rest_of_the_line_is_sent(
        live: Live, clock: FixedClock, telegram_api: FakeTelegram) -> None:
    claimed_then_lost(live, clock.now(), first_done=False)
    live.dispatch(later(clock))
    rows = sorted(live.outbox("telegram"), key=lambda row: row.id)
    assert [(row.status, row.last_error) for row in rows] == [
        ("failed", UNKNOWN_OUTCOME), ("sent", None), ("sent", None)]
    assert [m["text"] for m in telegram_api.sent()] == TEXTS[1:]


def test_after_a_recorded_send_the_next_row_is_the_one_under_way(
        live: Live, clock: FixedClock, telegram_api: FakeTelegram) -> None:
    claimed_then_lost(live, clock.now(), first_done=True)
    live.dispatch(later(clock))
    rows = sorted(live.outbox("telegram"), key=lambda row: row.id)
    assert [row.status for row in rows] == ["sent", "failed", "sent"]
    assert rows[1].last_error == UNKNOWN_OUTCOME
    assert [m["text"] for m in telegram_api.sent()] == TEXTS[2:]
