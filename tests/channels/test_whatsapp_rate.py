"""WhatsApp sends keep to the sender's rate (Twilio: about 80 messages/s), time injected."""

from __future__ import annotations

from bot.engine.outbox import enqueue
from bot.store.db import transaction
from channels.rate_limit import RateLimiter
from channels.whatsapp.config import WhatsAppConfig
from scheduler.clock import FixedClock
from tests.channels.conftest import Live
from tests.fakes.monotonic import FakeTime
from tests.fakes.twilio_api import FakeTwilio


def test_the_default_rate_is_twilios_documented_80_per_second() -> None:
    assert WhatsAppConfig().messages_per_second == 80.0


def test_a_burst_to_many_recipients_is_spaced_at_the_configured_rate(
        live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
    for index in range(6):   # customers who wrote just now: free text, one part each
        live.whatsapp_in("Hola", sender=f"whatsapp:+5730077{index:05d}")
    live.drain()
    with transaction(live.runtime.factory) as session:   # replies already out; queue 6 more
        for index in range(6):
            enqueue(session, channel="whatsapp", recipient=f"whatsapp:+5730077{index:05d}",
                    text=f"Aviso {index}", now=clock.now())
    live.dispatch()
    before = len(twilio_api.messages)
    fake = FakeTime()
    live.whatsapp.channel.limiter = RateLimiter(  # type: ignore[union-attr]
        per_key=2.0, overall=2.0, monotonic=fake.monotonic, sleep=fake.sleep)
    with transaction(live.runtime.factory) as session:
        for index in range(6):
            enqueue(session, channel="whatsapp", recipient=f"whatsapp:+5730077{index:05d}",
                    text=f"Otro aviso {index}", now=clock.now())
    live.dispatch()
    assert len(twilio_api.messages) == before + 6
    assert fake.now - 1000.0 == 2.5           # 6 sends at 2/s: the last goes 2.5 s in
    assert max(fake.slept) <= 2.5
