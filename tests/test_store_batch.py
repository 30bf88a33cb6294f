"""Group commit: webhooks that arrive together are stored in one transaction before they are
acknowledged; a retry in the same group counts once; one bad message does not cost the others."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.app import Runtime
from bot.engine import pipeline
from bot.store.models import Message, OutboxItem
from channels.base import InboundMessage
from scheduler.clock import FixedClock

QUESTION = "¿Cuál es el horario de atención?"


def inbound(clock: FixedClock, n: int, sid: str | None = None) -> InboundMessage:
    return InboundMessage(channel="whatsapp", provider_message_id=sid or f"SMG{n:04d}",
                          sender=f"whatsapp:+57300777{n:04d}", text=QUESTION,
                          received_at=clock.now(), sender_name=f"Cliente {n}")


@pytest.fixture
def store_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many messages each storing transaction took, on the event loop or in a worker
    thread (the real functions run; an attempt on the loop that gave way is not counted)."""
    sizes: list[int] = []
    on_loop, in_thread = pipeline.store_on_loop, pipeline.store_together

    def watched_on_loop(batch: list[pipeline.PendingStore]) -> object:
        stored = on_loop(batch)
        if stored is not None:
            sizes.append(len(batch))
        return stored

    def watched_in_thread(batch: list[pipeline.PendingStore]) -> object:
        sizes.append(len(batch))
        return in_thread(batch)

    monkeypatch.setattr(pipeline, "store_on_loop", watched_on_loop)
    monkeypatch.setattr(pipeline, "store_together", watched_in_thread)
    return sizes


def stored_in(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.factory() as session:
        return [(row.provider_message_id, row.status) for row in session.execute(
            select(Message.provider_message_id, Message.status)
            .where(Message.direction == "in").order_by(Message.id))]


def replies(runtime: Runtime) -> int:
    with runtime.factory() as session:
        return session.scalar(select(func.count()).select_from(OutboxItem)
                              .where(OutboxItem.in_reply_to.is_not(None))) or 0


def test_a_burst_is_stored_in_one_transaction_then_routed(
        runtime: Runtime, clock: FixedClock, store_sizes: list[int]) -> None:
    async def burst() -> list[bool]:
        new = await asyncio.gather(*(pipeline.accept_then_route(
            runtime.factory, runtime.ctx, inbound(clock, n)) for n in range(8)))
        await runtime.ctx.work.drain()
        return list(new)

    assert asyncio.run(burst()) == [True] * 8
    assert sum(store_sizes) == 8 and max(store_sizes) > 1
    assert stored_in(runtime) == [(f"SMG{n:04d}", "processed") for n in range(8)]
    assert replies(runtime) == 8


def test_a_retry_in_the_same_group_is_stored_and_answered_once(
        runtime: Runtime, clock: FixedClock, store_sizes: list[int]) -> None:
    async def burst() -> list[bool]:
        new = await asyncio.gather(
            pipeline.accept_then_route(runtime.factory, runtime.ctx, inbound(clock, 1)),
            pipeline.accept_then_route(runtime.factory, runtime.ctx, inbound(clock, 1)))
        await runtime.ctx.work.drain()
        return list(new)

    assert asyncio.run(burst()) == [True, False]
    assert store_sizes == [2]
    assert stored_in(runtime) == [("SMG0001", "processed")]
    assert replies(runtime) == 1


def test_one_failing_message_costs_the_group_nothing(
        runtime: Runtime, clock: FixedClock, store_sizes: list[int]) -> None:
    def broken(_: Session) -> None:
        raise RuntimeError("the on-new hook broke")

    async def burst() -> list[object]:
        outcomes = await asyncio.gather(
            pipeline.accept_then_route(runtime.factory, runtime.ctx, inbound(clock, 1)),
            pipeline.accept_then_route(runtime.factory, runtime.ctx, inbound(clock, 2),
                                       on_new=broken),
            pipeline.accept_then_route(runtime.factory, runtime.ctx, inbound(clock, 3)),
            return_exceptions=True)
        await runtime.ctx.work.drain()
        return list(outcomes)

    first, second, third = asyncio.run(burst())
    assert (first, third) == (True, True)
    assert isinstance(second, RuntimeError) and "on-new hook" in str(second)
    assert store_sizes == [3]
    assert stored_in(runtime) == [("SMG0001", "processed"), ("SMG0003", "processed")]


def test_a_client_that_hangs_up_does_not_lose_its_message(
        runtime: Runtime, clock: FixedClock) -> None:
    async def hang_up() -> None:
        waiting = asyncio.ensure_future(
            pipeline.accept_then_route(runtime.factory, runtime.ctx, inbound(clock, 5)))
        await asyncio.sleep(0)   # the request is queued for storing
        waiting.cancel()
        await runtime.ctx.work.drain()

    asyncio.run(hang_up())
    assert stored_in(runtime) == [("SMG0005", "processed")]
    assert replies(runtime) == 1


def test_an_unavailable_database_fails_the_group_at_once(
        runtime: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """A locked or unreachable database is not retried message by message (each would wait
    out the same timeout): every webhook of the group gets the error (503, Twilio retries)."""
    def locked(*_: object) -> None:
        raise OperationalError("INSERT …", {}, Exception("database is locked"))

    one_by_one: list[str] = []

    def store_alone(*_: object) -> None:
        one_by_one.append("store")
        raise RuntimeError("stored one by one")

    monkeypatch.setattr(pipeline, "stage_many", locked)
    monkeypatch.setattr(pipeline, "store", store_alone)

    async def burst() -> list[object]:
        outcomes = await asyncio.gather(*(pipeline.accept_then_route(
            runtime.factory, runtime.ctx, inbound(clock, n)) for n in range(3)),
            return_exceptions=True)
        await runtime.ctx.work.drain()
        return list(outcomes)

    outcomes = asyncio.run(burst())
    assert all(isinstance(o, OperationalError) for o in outcomes), outcomes
    assert one_by_one == []   # the three were queued together, before storing began
    assert stored_in(runtime) == []


def test_webhooks_do_not_wait_for_ever_when_the_server_stops_mid_store(
        runtime: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    real = pipeline.store_together
    monkeypatch.setattr(pipeline, "store_on_loop", lambda _batch: None)   # a worker's store

    def slow(batch: list[pipeline.PendingStore]) -> object:
        started.set()
        try:
            assert release.wait(30)
            return real(batch)
        finally:
            finished.set()

    monkeypatch.setattr(pipeline, "store_together", slow)

    async def stop_mid_store() -> list[object]:
        waits = [asyncio.ensure_future(pipeline.accept_then_route(
            runtime.factory, runtime.ctx, inbound(clock, n))) for n in range(2)]
        assert await asyncio.to_thread(started.wait, 30)
        runtime.ctx.work.storing.loops[asyncio.get_running_loop()].task.cancel()  # type: ignore[union-attr]
        release.set()
        return list(await asyncio.wait_for(asyncio.gather(*waits, return_exceptions=True), 30))

    outcomes = asyncio.run(stop_mid_store())
    assert all(isinstance(o, RuntimeError) and "stopped" in str(o) for o in outcomes), outcomes
    assert finished.wait(30)
    # What was being stored is kept; the retry job routes it (a provider retry is a duplicate).
    assert stored_in(runtime) == [("SMG0000", "received"), ("SMG0001", "received")]
