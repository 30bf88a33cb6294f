"""The serving dispatcher's pump: rows queued while others are being sent are claimed at once
(a commit wakes it), recipients are served concurrently, each in order, also when rows arrive
mid-delivery, and a channel's rate limit holds under that concurrency."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from itertools import pairwise

import pytest
from sqlalchemy import select

from bot.app import Runtime
from bot.engine.outbox import Dispatcher, enqueue
from bot.engine.outbox_pump import OutboxPump
from bot.engine.outbox_signal import OutboxSignal
from bot.store.db import transaction
from bot.store.models import OutboxItem
from channels.base import DeliveryReceipt, OutboundMessage
from channels.rate_limit import RateLimiter
from tests.fakes.monotonic import FakeTime
from tests.test_outbox_events import SlowChannel, queue

WAIT_S = 30.0   # a generous bound for a wait that should end at once


class GatedChannel:
    """Sends to `held` recipients wait until `gate` opens; notes when each send began."""

    name = "slow"

    def __init__(self, held: set[str]) -> None:
        self.held = held
        self.gate = asyncio.Event()
        self.started: list[str] = []
        self.sent: list[tuple[str, str]] = []
        self.changed = asyncio.Event()

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        self.started.append(message.text)
        self.changed.set()
        if message.recipient in self.held:
            await self.gate.wait()
        self.sent.append((message.recipient, message.text))
        self.changed.set()
        return DeliveryReceipt(provider_message_id=f"P{len(self.sent)}")

    async def until(self, check: object) -> None:
        async def wait() -> None:
            while not check():   # type: ignore[operator]
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(wait(), WAIT_S)


def in_order(sent: list[tuple[str, str]]) -> dict[str, list[str]]:
    by_recipient: dict[str, list[str]] = defaultdict(list)
    for recipient, text in sent:
        by_recipient[recipient].append(text)
    return by_recipient


def test_the_pump_serves_recipients_concurrently_each_in_order(runtime: Runtime) -> None:
    for index in range(10):
        for recipient in ("slow:ana", "slow:beto", "slow:carla", "slow:dora", "slow:eli"):
            queue(runtime, recipient, f"{recipient} {index}")
    channel = SlowChannel()
    dispatcher = Dispatcher(runtime.factory, {"slow": channel}, concurrency=4)
    pump = OutboxPump(dispatcher, runtime.clock.now, limit=7)   # several claims are needed
    assert asyncio.run(pump.run()) == 50
    by_recipient = in_order(channel.sent)
    assert all(texts == [f"{r} {i}" for i in range(10)] for r, texts in by_recipient.items())
    assert 1 < channel.most_in_flight <= 4


def test_a_commit_during_a_slow_send_is_delivered_without_waiting_for_it(
        runtime: Runtime) -> None:
    """Ana's send hangs; a reply for Beto committed meanwhile (in another thread) goes out at
    once, and Ana's second row waits for her first: her order holds."""
    queue(runtime, "slow:ana", "ana 1")
    channel = GatedChannel(held={"slow:ana"})
    dispatcher = Dispatcher(runtime.factory, {"slow": channel})

    async def scenario() -> int:
        signal = OutboxSignal(runtime.factory, dispatcher.poke, asyncio.get_running_loop())
        running = asyncio.create_task(OutboxPump(dispatcher, runtime.clock.now, 100).run())
        await channel.until(lambda: "ana 1" in channel.started)
        await asyncio.to_thread(queue, runtime, "slow:ana", "ana 2")
        await asyncio.to_thread(queue, runtime, "slow:beto", "beto 1")
        await channel.until(lambda: ("slow:beto", "beto 1") in channel.sent)
        assert "ana 2" not in channel.started   # still behind "ana 1"
        channel.gate.set()
        sent = await asyncio.wait_for(running, WAIT_S)
        signal.close()
        return sent

    assert asyncio.run(scenario()) == 3
    assert in_order(channel.sent)["slow:ana"] == ["ana 1", "ana 2"]


class LimitedChannel:
    """A channel that keeps to a RateLimiter (1/s per recipient, 30/s overall, fake time)
    and notes the time each send went out."""

    name = "slow"

    def __init__(self) -> None:
        self.time = FakeTime()
        self.limiter = RateLimiter(1.0, 30.0, monotonic=self.time.monotonic,
                                   sleep=self.time.sleep)
        self.sent: list[tuple[float, str, str]] = []

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        await self.limiter.wait(message.recipient)
        self.sent.append((self.time.now, message.recipient, message.text))
        await asyncio.sleep(0)   # let the other lines take turns
        return DeliveryReceipt(provider_message_id=f"P{len(self.sent)}")


def test_a_rate_limit_holds_under_concurrent_lines(runtime: Runtime) -> None:
    with transaction(runtime.factory) as session:
        for index in range(8):
            for person in range(12):
                enqueue(session, channel="slow", recipient=f"slow:{person}", text=f"{index}",
                        now=runtime.clock.now())
    channel = LimitedChannel()
    dispatcher = Dispatcher(runtime.factory, {"slow": channel}, concurrency=8)
    assert asyncio.run(OutboxPump(dispatcher, runtime.clock.now, 40).run()) == 96
    times = sorted(at for at, _, _ in channel.sent)
    assert min(later - earlier for earlier, later in pairwise(times)) >= 1 / 30 - 1e-9
    for person in range(12):
        mine = [(at, text) for at, recipient, text in channel.sent
                if recipient == f"slow:{person}"]
        assert [text for _, text in mine] == [str(index) for index in range(8)]
        assert all(later - earlier >= 1 - 1e-9 for (earlier, _), (later, _) in pairwise(mine))


def test_a_row_another_worker_is_claiming_is_not_overtaken(runtime: Runtime) -> None:
    """Another worker has locked Ana's first row (its claim not committed yet, so the row
    still reads `pending`): this claim skips it, and must not take her second row past it."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's (SQLite has one writer)")
    for recipient, text in (("slow:ana", "ana 1"), ("slow:ana", "ana 2"), ("slow:beto", "b")):
        queue(runtime, recipient, text)
    pump = OutboxPump(Dispatcher(runtime.factory, {"slow": SlowChannel()}),
                      runtime.clock.now, 100)
    with runtime.factory() as other:
        first = other.scalars(select(OutboxItem.id).order_by(OutboxItem.id).limit(1)
                              .with_for_update()).one()
        items, _, _, _ = pump.claim(100)
        other.rollback()
    assert first not in [item.id for item in items]
    assert [item.payload["text"] for item in items] == ["b"]
