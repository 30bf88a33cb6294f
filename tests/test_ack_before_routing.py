"""Acknowledged once stored, never after routing: storing goes first at SQLite's single writer,
and a routing batch's CPU work (language, KB match) runs before its write transaction."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.app import Runtime
from bot.engine import pipeline, prepare
from bot.engine.writer import StoreFirstWriter
from bot.store.models import Message
from channels.base import InboundMessage
from scheduler.clock import FixedClock

QUESTION = "How do I export my data to a spreadsheet?"
WAIT = 30   # seconds: only ever reached when the behaviour under test is broken


def inbound(clock: FixedClock, n: int) -> InboundMessage:
    return InboundMessage(channel="whatsapp", provider_message_id=f"SMA{n:04d}",
                          sender=f"whatsapp:+57300888{n:04d}", text=QUESTION,
                          received_at=clock.now(), sender_name=f"Cliente {n}")


def statuses(runtime: Runtime) -> list[str]:
    with runtime.factory() as session:
        return list(session.scalars(select(Message.status).where(Message.direction == "in")
                                    .order_by(Message.id)))


def gated(real: Callable[..., object], started: threading.Event,
          release: threading.Event) -> Callable[..., object]:
    def wait_then_run(*args: object, **kwargs: object) -> object:
        started.set()
        assert release.wait(WAIT), "the gate was never opened"
        return real(*args, **kwargs)
    return wait_then_run


def accept_while_gated(runtime: Runtime, clock: FixedClock, started: threading.Event,
                       release: threading.Event) -> tuple[list[bool], list[str]]:
    """Store one message, wait until its routing is held at the gate, then store four more;
    returns their acknowledgements and the statuses seen before the gate opens."""
    def accept(n: int) -> asyncio.Future[bool]:
        return asyncio.ensure_future(pipeline.accept_then_route(
            runtime.factory, runtime.ctx, inbound(clock, n)))

    async def run() -> tuple[list[bool], list[str]]:
        acks = [await asyncio.wait_for(accept(0), WAIT)]
        assert await asyncio.to_thread(started.wait, WAIT)
        acks += await asyncio.wait_for(asyncio.gather(*(accept(n) for n in range(1, 5))), WAIT)
        seen = await asyncio.to_thread(statuses, runtime)
        release.set()
        await runtime.ctx.work.drain()
        return acks, seen

    return asyncio.run(run())


def test_webhooks_are_acknowledged_while_routing_is_blocked(
        runtime: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = threading.Event(), threading.Event()
    monkeypatch.setattr(pipeline, "route_batch", gated(pipeline.route_batch, started, release))
    acks, seen = accept_while_gated(runtime, clock, started, release)
    assert acks == [True] * 5
    assert seen == ["received"] * 5   # stored and acknowledged, none routed yet
    assert statuses(runtime) == ["processed"] * 5   # routing caught up afterwards


def test_a_slow_kb_match_does_not_hold_back_storing(
        runtime: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The matcher (a long text, a big KB) runs before the routing transaction, so on SQLite
    the writer is free for the next webhooks meanwhile."""
    started, release = threading.Event(), threading.Event()
    monkeypatch.setattr(prepare, "best_match", gated(prepare.best_match, started, release))
    acks, seen = accept_while_gated(runtime, clock, started, release)
    assert acks == [True] * 5
    assert seen == ["received"] * 5
    assert statuses(runtime) == ["processed"] * 5


def wait_until(check: Callable[[], bool]) -> None:
    """Poll until another thread has reached a state (it returns as soon as it has)."""
    for _ in range(WAIT * 1000):
        if check():
            return
        time.sleep(0.001)
    raise AssertionError("the other thread never got there")


def test_a_waiting_store_goes_before_a_routing_batch_that_asked_first() -> None:
    writer = StoreFirstWriter()
    order: list[str] = []

    def take(name: str, store: bool) -> None:
        with writer.turn(store):
            order.append(name)

    with writer.turn(store=False):   # a routing batch in progress
        with writer.turn(store=False):   # re-entrant in its own thread
            pass
        routing = threading.Thread(target=take, args=("route", False))
        routing.start()
        wait_until(lambda: writer.routes_waiting == 1)
        storing = threading.Thread(target=take, args=("store", True))
        storing.start()
        wait_until(lambda: writer.stores_waiting == 1)
    routing.join(WAIT)
    storing.join(WAIT)
    assert order == ["store", "route"]


def test_routing_waits_until_the_webhooks_waiting_are_stored() -> None:
    """A routing batch starts once storing has fallen quiet (it yields the CPU to storing)."""
    from collections import deque

    from bot.engine.loop_queue import LoopQueue

    async def run() -> list[str]:
        events: list[str] = []
        release = asyncio.Event()

        async def store_drain(waiting: deque[str]) -> None:
            await release.wait()
            events.append(f"stored {waiting.popleft()}")

        storing = LoopQueue(store_drain, set())
        assert await storing.wait_idle(WAIT)   # nothing stored yet: idle at once
        storing.put("m1")
        routing = asyncio.ensure_future(storing.wait_idle(WAIT))
        await asyncio.sleep(0)
        assert not routing.done()
        assert not await storing.wait_idle(0)   # the bound: routing moves under a flood
        release.set()
        assert await asyncio.wait_for(routing, WAIT)
        events.append("routing")
        return events

    assert asyncio.run(run()) == ["stored m1", "routing"]


def test_routing_waits_while_a_flood_keeps_coming() -> None:
    """Storing idle for a moment between two webhooks of a flood is not quiet: a routing batch
    waits until no webhook came for a while (or the bound passes)."""
    from collections import deque

    from bot.engine.loop_queue import LoopQueue

    async def run() -> None:
        async def store_drain(waiting: deque[str]) -> None:
            waiting.clear()

        storing = LoopQueue(store_drain, set())
        storing.put("m1")
        await asyncio.sleep(0)   # stored: the queue is idle again
        routing = asyncio.ensure_future(storing.wait_idle(WAIT, quiet_s=60))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not routing.done()   # idle, but m1 came just now
        routing.cancel()
        assert not await storing.wait_idle(0, quiet_s=60)   # the bound: routing moves
        assert await asyncio.wait_for(storing.wait_idle(WAIT, quiet_s=0), WAIT)   # idle

    asyncio.run(run())


@pytest.mark.parametrize("storing_fell_quiet, largest", [(True, 40), (False, 32)])
def test_a_batch_that_goes_in_during_a_flood_is_smaller(
        runtime: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch,
        storing_fell_quiet: bool, largest: int) -> None:
    """Routing that could not wait for storing to fall quiet takes FLOOD_ROUTE_BATCH messages
    at a time, so it holds the flood's stores back for less; after the flood it takes up to
    ROUTE_BATCH."""
    assert pipeline.FLOOD_ROUTE_BATCH == 32 < 40 <= pipeline.ROUTE_BATCH
    sizes: list[int] = []
    real_route_batch = pipeline.route_batch

    def route_batch(factory: object, ctx: object, batch: list[object]) -> object:
        sizes.append(len(batch))
        return real_route_batch(factory, ctx, batch)  # type: ignore[arg-type]

    async def wait_idle(*_: object, **__: object) -> bool:
        await asyncio.sleep(0)
        return storing_fell_quiet

    monkeypatch.setattr(pipeline, "route_batch", route_batch)
    monkeypatch.setattr(type(runtime.ctx.work.storing), "wait_idle", wait_idle)

    async def flood() -> None:
        await asyncio.gather(*(pipeline.accept_then_route(runtime.factory, runtime.ctx,
                                                          inbound(clock, n)) for n in range(40)))
        await runtime.ctx.work.drain()

    asyncio.run(flood())
    assert max(sizes) == largest and sum(sizes) == 40
    assert statuses(runtime) == ["processed"] * 40
