"""Replies queued for one WhatsApp customer leave in one Twilio message (the serving pump's
claim joins them), and a crash mid-send does not send that message twice: Twilio's lookup
finds the joined body stored on the row."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from bot.engine.outbox import CLAIM_SECONDS, SENDING, Dispatcher, enqueue
from bot.engine.outbox_pump import OutboxPump
from bot.store.db import transaction
from bot.store.models import OutboxItem
from channels.send_once import SendOnce
from scheduler.clock import FixedClock
from tests.channels.conftest import Live
from tests.fakes.clients import CUSTOMER
from tests.fakes.twilio_api import FakeTwilio

REPLIES = ("Primera respuesta.", "Segunda respuesta.", "Tercera respuesta.")


def pump(live: Live, now: datetime) -> int:
    live.drain()
    dispatcher = Dispatcher(live.runtime.factory, {"whatsapp": live.whatsapp.channel},  # type: ignore[dict-item]
                            jitter=lambda: 0.0)
    return live.server.run(OutboxPump(dispatcher, lambda: now, limit=100).run())


def queue_replies(live: Live, clock: FixedClock) -> None:
    live.whatsapp_in("Hola")   # opens the 24-hour window
    live.drain()
    with transaction(live.runtime.factory) as session:
        session.execute(update(OutboxItem).values(status="sent"))   # the greeting is done
        for text in REPLIES:
            enqueue(session, channel="whatsapp", recipient=CUSTOMER, text=text, now=clock.now())


def test_queued_replies_leave_in_one_twilio_message(live: Live, clock: FixedClock,
                                                    twilio_api: FakeTwilio) -> None:
    queue_replies(live, clock)
    assert pump(live, clock.now()) == 1
    assert [m.one("Body") for m in twilio_api.messages] == ["\n\n".join(REPLIES)]
    rows = live.outbox("whatsapp")[-3:]
    assert [row.status for row in rows] == ["sent", "joined", "joined"]
    assert rows[0].provider_message_id == twilio_api.created[0]["sid"]


def test_a_crash_after_twilio_took_the_joined_message_does_not_send_it_again(
        live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
    queue_replies(live, clock)
    pump(live, clock.now())
    host = live.outbox("whatsapp")[-3]
    with transaction(live.runtime.factory) as session:   # as a process killed mid-send leaves it
        session.execute(update(OutboxItem).where(OutboxItem.id == host.id).values(
            status=SENDING, provider_message_id=None, sent_at=None,
            next_attempt_at=clock.now() + timedelta(seconds=CLAIM_SECONDS)))
    live.whatsapp.channel.sent_once = SendOnce()  # type: ignore[union-attr]
    pump(live, clock.now() + timedelta(seconds=CLAIM_SECONDS + 1))
    assert len(twilio_api.messages) == 1
    assert live.outbox("whatsapp")[-3].status == "sent"
