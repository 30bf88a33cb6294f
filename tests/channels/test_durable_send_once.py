"""Send-once across crashes: the claim is committed before the provider call, and an attempt
whose outcome is unknown is resolved by asking Twilio (Telegram: never sent again)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from bot.engine.outbox import CLAIM_SECONDS, SENDING, UNKNOWN_OUTCOME, enqueue
from bot.store.db import transaction
from bot.store.models import OutboxItem
from channels.send_once import SendOnce
from scheduler.clock import FixedClock
from tests.channels.conftest import Live
from tests.fakes.clients import CUSTOMER
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

LONG = "palabra " * 400   # split into two WhatsApp parts (1,600 characters each)


def crash_mid_send(live: Live, claimed_at: datetime) -> None:
    """As a process killed mid-send leaves its rows: claimed, outcome never written; and the
    restarted process remembers nothing."""
    for plugin in (live.whatsapp, live.telegram):
        plugin.channel.sent_once = SendOnce()  # type: ignore[union-attr]
    with transaction(live.runtime.factory) as session:
        session.execute(update(OutboxItem).values(
            status=SENDING, attempts=1, provider_message_id=None, sent_at=None,
            next_attempt_at=claimed_at + timedelta(seconds=CLAIM_SECONDS)))


def later(clock: FixedClock) -> datetime:
    return clock.now() + timedelta(seconds=CLAIM_SECONDS + 1)


def test_twilio_took_it_before_the_crash_so_it_is_not_sent_again(
        live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
    live.whatsapp_in("¿Cuál es el horario de atención?")
    live.dispatch()
    assert len(twilio_api.messages) == 1
    taken = twilio_api.created[0]["sid"]
    crash_mid_send(live, clock.now())
    live.dispatch(later(clock))
    [row] = live.outbox("whatsapp")
    assert (row.status, row.provider_message_id, row.attempts) == ("sent", taken, 2)
    assert len(twilio_api.messages) == 1
    assert [r.method for r in twilio_api.requests if r.path.endswith("Messages.json")] == [
        "POST", "GET"]


def test_twilio_never_got_it_so_it_is_sent(live: Live, clock: FixedClock,
                                          twilio_api: FakeTwilio) -> None:
    live.whatsapp_in("¿Cuál es el horario de atención?")
    live.drain()
    crash_mid_send(live, clock.now())
    live.dispatch(later(clock))
    assert len(twilio_api.messages) == 1
    assert [row.status for row in live.outbox("whatsapp")] == ["sent"]


def test_only_the_parts_twilio_did_not_take_are_sent(live: Live, clock: FixedClock,
                                                    twilio_api: FakeTwilio) -> None:
    live.whatsapp_in("Hola")
    live.drain()
    with transaction(live.runtime.factory) as session:
        session.execute(update(OutboxItem).values(status="sent"))   # the greeting is done
        enqueue(session, channel="whatsapp", recipient=CUSTOMER, text=LONG, now=clock.now())
    long_id = max(row.id for row in live.outbox("whatsapp"))
    live.dispatch()
    bodies = [m.one("Body") for m in twilio_api.messages]
    assert len(bodies) == 2
    del twilio_api.created[1]   # Twilio had taken only the first part when we died
    with transaction(live.runtime.factory) as session:
        session.execute(update(OutboxItem).where(OutboxItem.id == long_id).values(
            status=SENDING, provider_message_id=None, sent_at=None,
            next_attempt_at=clock.now() + timedelta(seconds=CLAIM_SECONDS)))
    live.whatsapp.channel.sent_once = SendOnce()  # type: ignore[union-attr]
    live.dispatch(later(clock))
    assert [m.one("Body") for m in twilio_api.messages] == [*bodies, bodies[1]]
    assert {row.status for row in live.outbox("whatsapp")} == {"sent"}


def test_telegram_cannot_say_so_an_unknown_send_is_not_sent_again(
        live: Live, clock: FixedClock, telegram_api: FakeTelegram) -> None:
    with transaction(live.runtime.factory) as session:
        enqueue(session, channel="telegram", recipient="telegram:4242", text="Hola",
                now=clock.now())
    crash_mid_send(live, clock.now())
    live.dispatch(later(clock))
    assert telegram_api.sent() == []
    [row] = live.outbox("telegram")
    assert (row.status, row.last_error) == ("failed", UNKNOWN_OUTCOME)


def test_a_live_claim_is_left_alone_until_its_lease_ends(live: Live, clock: FixedClock,
                                                        telegram_api: FakeTelegram) -> None:
    with transaction(live.runtime.factory) as session:
        enqueue(session, channel="telegram", recipient="telegram:4242", text="Hola",
                now=clock.now())
        enqueue(session, channel="telegram", recipient="telegram:4242", text="¿Algo más?",
                now=clock.now())
    with transaction(live.runtime.factory) as session:   # another worker is sending the first
        first = min(row.id for row in live.outbox("telegram"))
        session.execute(update(OutboxItem).where(OutboxItem.id == first).values(
            status=SENDING, attempts=1,
            next_attempt_at=clock.now() + timedelta(seconds=CLAIM_SECONDS)))
    assert live.dispatch() == 0   # neither: the second must wait for the first (order)
    assert telegram_api.sent() == []
