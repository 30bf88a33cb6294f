"""The InboundSink adapters are handed: store then route, seen-before, quarantine, delivery
statuses, messaging windows, and held messages released when the customer writes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import sessionmaker

from bot.app import Runtime
from bot.channel_context import build_channel_context, lock_id
from bot.engine.sink import EngineSink
from bot.store.models import Message, OutboxItem, QuarantineItem
from channels.base import DeliveryUpdate, InboundMessage, StoreUnavailable
from scheduler.clock import FixedClock

QUESTION = "¿Cuál es el horario de atención?"


def inbound(clock: FixedClock, sid: str, sender: str = "whatsapp:+573001234567") -> InboundMessage:
    return InboundMessage(channel="whatsapp", provider_message_id=sid, sender=sender,
                          text=QUESTION, received_at=clock.now(), sender_name="Ana")


@pytest.fixture
def sink(runtime: Runtime) -> EngineSink:
    return EngineSink(runtime.factory, runtime.ctx)


def outbox(runtime: Runtime) -> list[OutboxItem]:
    with runtime.factory() as session:
        return list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


def test_accept_stores_once_and_the_engine_answers(
        runtime: Runtime, sink: EngineSink, clock: FixedClock) -> None:
    async def twice() -> list[bool]:
        first = await sink.accept(inbound(clock, "SM1"))
        again = await sink.accept(inbound(clock, "SM1"))
        await runtime.ctx.work.drain()
        return [first, again]

    assert asyncio.run(twice()) == [True, False]
    assert sink.has_seen("whatsapp", "SM1") and not sink.has_seen("whatsapp", "SM2")
    [reply] = outbox(runtime)
    assert reply.recipient == "whatsapp:+573001234567" and "8:00" in reply.payload["text"]


def test_accept_now_waits_for_route_accepted(
        runtime: Runtime, sink: EngineSink, clock: FixedClock) -> None:
    assert sink.accept_now(inbound(clock, "SM3")) is True
    assert sink.accept_now(inbound(clock, "SM3")) is False
    assert outbox(runtime) == []
    sink.route_accepted()
    assert len(outbox(runtime)) == 1


def test_quarantine_keeps_the_bytes_and_the_reason(runtime: Runtime, sink: EngineSink) -> None:
    item_id = sink.quarantine("telegram", "update without a chat", b"\x00{bad",
                              {"mail_from": ""})
    with runtime.factory() as session:
        item = session.get(QuarantineItem, item_id)
        assert item is not None
        assert (item.source, item.reason, item.raw, item.envelope) == (
            "telegram", "update without a chat", b"\x00{bad", {"mail_from": ""})


def test_delivery_updates_and_the_window(
        runtime: Runtime, sink: EngineSink, clock: FixedClock) -> None:
    sink.accept_now(inbound(clock, "SM4"))
    sink.route_accepted()
    [reply] = outbox(runtime)
    assert sink.last_inbound("whatsapp", [reply.recipient, "whatsapp:+1555"]) == {
        reply.recipient: clock.now(), "whatsapp:+1555": None}
    with runtime.factory() as session, session.begin():
        sent = session.get(OutboxItem, reply.id)
        assert sent is not None
        sent.provider_message_id, sent.status = "SMOUT", "sent"
    update = DeliveryUpdate(channel="whatsapp", provider_message_id="SMOUT", status="delivered",
                            at=clock.now())
    assert sink.record_delivery(update) == "delivered"
    assert sink.record_delivery(update) == "duplicate"
    closed = DeliveryUpdate(channel="whatsapp", provider_message_id="SMOUT", status="failed",
                            at=clock.now(), error_code="63016", window_closed=True)
    assert sink.record_delivery(closed) == "requeued"
    assert sink.last_inbound("whatsapp", [reply.recipient]) == {reply.recipient: None}
    unknown = DeliveryUpdate(channel="whatsapp", provider_message_id="SMX", status="sent",
                             at=clock.now())
    assert sink.record_delivery(unknown) == "unknown"


def test_a_new_message_releases_what_was_held_for_its_sender(
        runtime: Runtime, sink: EngineSink, clock: FixedClock) -> None:
    sink.accept_now(inbound(clock, "SM5"))
    sink.route_accepted()
    [reply] = outbox(runtime)
    with runtime.factory() as session, session.begin():
        held = session.get(OutboxItem, reply.id)
        assert held is not None
        held.status = "held"
    clock.advance(timedelta(days=2))
    sink.accept_now(inbound(clock, "SM6"))
    with runtime.factory() as session:
        again = session.get(OutboxItem, reply.id)
        assert again is not None and (again.status, again.next_attempt_at) == (
            "pending", clock.now())


def test_an_unreachable_database_is_a_retryable_refusal(
        runtime: Runtime, clock: FixedClock, tmp_path: Path) -> None:
    nowhere = create_engine(f"sqlite:///{tmp_path / 'missing' / 'atiende.db'}")
    broken = EngineSink(sessionmaker(nowhere), runtime.ctx)
    with pytest.raises(StoreUnavailable):
        broken.accept_now(inbound(clock, "SM7"))
    with pytest.raises(StoreUnavailable):
        asyncio.run(broken.accept(inbound(clock, "SM8")))


def test_the_channel_context_comes_from_the_runtime(runtime: Runtime) -> None:
    context = build_channel_context(runtime, {"ATIENDE_SECRET_KEY": "k" * 32})
    assert context.secret_key == b"k" * 32
    assert context.public_url == runtime.config.http.public_url
    assert context.now() == runtime.clock.now()
    context.state.remember("imap:cursor", "42")
    assert context.state.recall("imap:cursor") == "42" and context.state.recall("x") is None
    assert lock_id("imap") != lock_id("telegram") != lock_id("webchat")
    with runtime.factory() as session:
        assert session.scalars(select(Message)).first() is None
