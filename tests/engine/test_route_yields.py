"""Routing yields to storing while webhooks keep arriving, with a bound (LoopQueue.wait_quiet).

The queue's clock and sleep are injected: time moves only when the rule sleeps, so each test
sees exactly when routing would start, without waiting for any deadline."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

import pytest

from bot.engine.loop_queue import LoopQueue

QUIET = 0.005
LIMIT = 0.5


class FakeTime:
    """A clock that moves only when `sleep` is awaited; `during_sleep` runs at each sleep
    (webhooks arriving meanwhile)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self.during_sleep: Callable[[], None] = lambda: None

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds
        self.during_sleep()
        await asyncio.sleep(0)


async def store_all(waiting: deque[str]) -> None:
    """A store drain that stores at once (in the loop: no thread, no real time)."""
    while waiting:
        waiting.popleft()
        await asyncio.sleep(0)


def storing_queue(time: FakeTime) -> LoopQueue[str]:
    return LoopQueue(store_all, set(), clock=time.clock, sleep=time.sleep)


async def settle(queue: LoopQueue[str]) -> None:
    """Let the store drain run to its end (its done callbacks included)."""
    await queue.wait_idle(30)
    await asyncio.sleep(0)


def test_routing_starts_at_once_when_nothing_was_ever_stored() -> None:
    time = FakeTime()

    async def run() -> None:
        await storing_queue(time).wait_quiet(QUIET, LIMIT)

    asyncio.run(run())
    assert time.slept == []


def test_routing_waits_the_quiet_time_after_the_last_store() -> None:
    """A webhook just answered: its sender may send the next one at once, so routing gives
    storing QUIET seconds before taking the CPU and the writer."""
    time = FakeTime()

    async def run() -> None:
        storing = storing_queue(time)
        storing.put("m1")
        await settle(storing)
        time.now = 0.002   # 2 ms after it was stored
        await storing.wait_quiet(QUIET, LIMIT)

    asyncio.run(run())
    assert time.slept == [0.003]
    assert time.now == pytest.approx(QUIET)


def test_routing_waits_while_webhooks_keep_arriving_then_goes() -> None:
    """Webhooks arrive at 5 and 10 ms, then stop: routing starts QUIET after the last."""
    time = FakeTime()

    async def run() -> None:
        storing = storing_queue(time)
        time.during_sleep = lambda: storing.put("next") if time.now < 0.011 else None
        storing.put("m1")
        await settle(storing)
        await storing.wait_quiet(QUIET, LIMIT)

    asyncio.run(run())
    assert time.now == pytest.approx(0.015)
    assert time.slept == [QUIET, QUIET, QUIET]


def test_a_flood_holds_routing_back_at_most_the_bound() -> None:
    """Webhooks arriving without pause: routing still starts LIMIT seconds after it began
    to wait (it keeps moving), not later."""
    time = FakeTime()

    async def run() -> None:
        storing = storing_queue(time)
        time.during_sleep = lambda: storing.put("another")
        storing.put("m1")
        await settle(storing)
        await storing.wait_quiet(QUIET, LIMIT)

    asyncio.run(run())
    assert time.now == pytest.approx(LIMIT)
    assert len(time.slept) == round(LIMIT / QUIET)


def test_routing_waits_for_a_store_in_progress() -> None:
    """A group being stored is waited for (storing first), then the quiet time."""
    time = FakeTime()

    async def run() -> list[str]:
        events: list[str] = []
        release = asyncio.Event()

        async def slow_store(waiting: deque[str]) -> None:
            await release.wait()
            events.append(f"stored {waiting.popleft()}")

        storing = LoopQueue(slow_store, set(), clock=time.clock, sleep=time.sleep)
        storing.put("m1")
        routing = asyncio.ensure_future(storing.wait_quiet(QUIET, LIMIT))
        for _ in range(3):
            await asyncio.sleep(0)
        assert not routing.done()
        release.set()
        await asyncio.wait_for(routing, 30)
        events.append("routing")
        return events

    assert asyncio.run(run()) == ["stored m1", "routing"]
    assert time.slept == [QUIET]
