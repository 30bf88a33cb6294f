"""A bot reply waits (at most REPLY_WAIT) while its customer has messages stored and not routed
yet in this process, so the answers to those join it in one send (issue 18: a burst answered
within twice its routing time at the provider's send rate). Other customers' rows, other
kinds of rows, a dispatcher that does not join, and a reply past REPLY_WAIT do not wait."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.app import Runtime
from bot.engine import outbox_pump, pipeline
from bot.engine.outbox import REPLY_WAIT, Dispatcher
from bot.engine.outbox_pump import OutboxPump
from bot.engine.routing_backlog import RoutingBacklog
from bot.store.models import OutboxItem
from channels.base import InboundMessage
from scheduler.clock import FixedClock
from tests.test_outbox_join import JoiningChannel, queue, sent_texts

WAIT = 30   # seconds: only ever reached when the behaviour under test is broken
ANA, BETO = "chat:ana", "chat:beto"


def dispatcher(runtime: Runtime, channel: JoiningChannel, backlog: RoutingBacklog,
               join_replies: bool = True) -> Dispatcher:
    return Dispatcher(runtime.factory, {channel.name: channel}, join_replies=join_replies,
                      backlog=backlog)


def claimed_texts(runtime: Runtime, pump: OutboxPump) -> tuple[list[str], int]:
    items, _, _, waiting = pump.claim(100)
    return [item.payload["text"] for item in items], waiting


def test_the_backlog_counts_each_message_until_its_routing_is_over() -> None:
    backlog = RoutingBacklog()
    backlog.add(1, ("chat", ANA))
    backlog.add(2, ("chat", ANA))
    backlog.add(2, ("chat", ANA))   # the same message queued twice counts once
    backlog.add(3, ("chat", BETO))
    backlog.done([1, 3, 99])
    assert backlog.waiting(("chat", ANA)) and not backlog.waiting(("chat", BETO))
    backlog.done([2])
    assert not backlog.waiting(("chat", ANA)) and len(backlog) == 0


def test_a_reply_waits_while_its_customer_has_messages_to_route(runtime: Runtime) -> None:
    backlog = RoutingBacklog()
    backlog.add(7, ("chat", ANA))
    queue(runtime, ANA, "a1")
    queue(runtime, BETO, "b1")
    channel = JoiningChannel(runtime)
    pump = OutboxPump(dispatcher(runtime, channel, backlog), runtime.clock.now, limit=100)
    assert claimed_texts(runtime, pump) == (["b1"], 1)   # Beto's is not held up by Ana's
    queue(runtime, ANA, "a2")   # the answer to her message 7
    backlog.done([7])
    assert asyncio.run(pump.run()) == 1
    assert sent_texts(channel, ANA) == ["a1\n\na2"]


def test_a_reply_waits_no_longer_than_reply_wait(runtime: Runtime, clock: FixedClock) -> None:
    backlog = RoutingBacklog()
    backlog.add(7, ("chat", ANA))
    queue(runtime, ANA, "a1")
    channel = JoiningChannel(runtime)
    pump = OutboxPump(dispatcher(runtime, channel, backlog), clock.now, limit=100)
    clock.advance(REPLY_WAIT * 0.9)
    assert claimed_texts(runtime, pump) == ([], 1)
    clock.advance(REPLY_WAIT * 0.2)
    assert claimed_texts(runtime, pump) == (["a1"], 0)


@pytest.mark.parametrize("join_replies, kind", [(False, "reply"), (True, "rating_request")])
def test_only_a_reply_that_can_be_joined_waits(runtime: Runtime, join_replies: bool,
                                                kind: str) -> None:
    backlog = RoutingBacklog()
    backlog.add(7, ("chat", ANA))
    queue(runtime, ANA, "rate us", kind=kind)
    channel = JoiningChannel(runtime)
    pump = OutboxPump(dispatcher(runtime, channel, backlog, join_replies), runtime.clock.now,
                      limit=100)
    assert claimed_texts(runtime, pump) == (["rate us"], 0)


def test_the_pump_looks_again_while_a_reply_waits(runtime: Runtime,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing wakes the pump when a customer's last message is routed without a reply: it
    looks again by itself instead of stopping with a reply left waiting."""
    monkeypatch.setattr(outbox_pump, "RECHECK_S", 0.01)
    backlog = RoutingBacklog()
    backlog.add(7, ("chat", ANA))
    queue(runtime, ANA, "a1")
    channel = JoiningChannel(runtime)
    pump = OutboxPump(dispatcher(runtime, channel, backlog), runtime.clock.now, limit=100)
    claims: list[int] = []
    real_claim = pump.claim

    def claim(room: int) -> outbox_pump.Claimed:
        claimed = real_claim(room)
        claims.append(claimed[3])
        if claimed[3]:
            backlog.done([7])   # message 7 routed meanwhile, with no reply of its own
        return claimed

    monkeypatch.setattr(pump, "claim", claim)
    assert asyncio.run(asyncio.wait_for(pump.run(), WAIT)) == 1
    assert claims[0] == 1 and sent_texts(channel, ANA) == ["a1"]


def gate_second_batch(started: threading.Event, release: threading.Event
                      ) -> Callable[..., object]:
    real = pipeline.route_batch
    calls: list[int] = []

    def route_batch(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            started.set()
            assert release.wait(WAIT), "the gate was never opened"
        return real(*args, **kwargs)   # type: ignore[arg-type]
    return route_batch


def test_a_customers_quick_messages_are_answered_in_one_send(
        runtime: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two messages stored together are routed in two batches (one per customer each): the
    first one's reply waits for the second's and they leave together."""
    started, release = threading.Event(), threading.Event()
    monkeypatch.setattr(pipeline, "route_batch", gate_second_batch(started, release))
    sender = "whatsapp:+573001112233"
    texts = ("How do I export my data to a spreadsheet?", "My invoice has the wrong tax id")
    channel = JoiningChannel(runtime)
    channel.name = "whatsapp"
    backlog = runtime.ctx.work.backlog
    pump = OutboxPump(dispatcher(runtime, channel, backlog), clock.now, limit=100)

    async def run() -> tuple[list[str], int]:
        await asyncio.gather(*(pipeline.accept_then_route(runtime.factory, runtime.ctx,
                                                          InboundMessage(
            channel="whatsapp", provider_message_id=f"SM{n}", sender=sender, text=text,
            received_at=clock.now(), sender_name="Ana")) for n, text in enumerate(texts)))
        assert await asyncio.to_thread(started.wait, WAIT)   # the first one is routed
        held = await asyncio.to_thread(claimed_texts, runtime, pump)
        release.set()
        await runtime.ctx.work.drain()
        return held

    assert asyncio.run(run()) == ([], 1)
    assert len(backlog) == 0
    assert asyncio.run(pump.run()) == 1
    with runtime.factory() as session:
        replies = [item.payload["text"] for item in session.scalars(
            select(OutboxItem).where(OutboxItem.recipient == sender,
                                     OutboxItem.payload["kind"].as_string() == "reply")
            .order_by(OutboxItem.id))]
    assert len(replies) >= 2
    assert sent_texts(channel, sender) == ["\n\n".join(replies)]


def test_a_batch_that_fails_gives_its_messages_back(
        runtime: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the routing worker died")

    monkeypatch.setattr(pipeline, "route_batch", broken)

    async def run() -> None:
        await pipeline.accept_then_route(runtime.factory, runtime.ctx, InboundMessage(
            channel="whatsapp", provider_message_id="SM1", sender="whatsapp:+573001112233",
            text="hola", received_at=clock.now(), sender_name="Ana"))
        await runtime.ctx.work.drain()

    asyncio.run(run())
    assert len(runtime.ctx.work.backlog) == 0
