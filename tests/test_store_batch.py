"""Group commit: webhooks that arrive together are stored in one transaction before they are
acknowledged; a retry in the same group counts once; one bad message does not cost the others."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import pipeline
from bot.app import Runtime
from bot.loop_queue import drain_background
from bot.models import Message, OutboxItem
from channels.base import InboundMessage
from scheduler.clock import FixedClock

QUESTION = "¿Cuál es el horario de atención?"


def inbound(clock: FixedClock, n: int, sid: str | None = None) -> InboundMessage:
    return InboundMessage(channel="whatsapp", provider_message_id=sid or f"SMG{n:04d}",
                          sender=f"whatsapp:+57300777{n:04d}", text=QUESTION,
                          received_at=clock.now(), sender_name=f"Cliente {n}")


@pytest.fixture
def store_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many messages each storing transaction took (the real function runs)."""
    sizes: list[int] = []
    real = pipeline.store_together

    def watched(batch: list[pipeline.PendingStore]) -> object:
        sizes.append(len(batch))
        return real(batch)

    monkeypatch.setattr(pipeline, "store_together", watched)
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
        await drain_background()
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
        await drain_background()
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
        await drain_background()
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
        await drain_background()

    asyncio.run(hang_up())
    assert stored_in(runtime) == [("SMG0005", "processed")]
    assert replies(runtime) == 1
