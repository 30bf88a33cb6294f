"""Inbound storage: once per (channel, provider id), contact and identity first, VIP from config."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import Runtime
from bot.engine import pipeline
from bot.engine.inbox import Accepted, accept_inbound
from bot.engine.pipeline import process_message, receive
from bot.store.models import Contact, ContactIdentity, Message, OutboxItem
from channels.base import InboundMessage
from scheduler.clock import FixedClock


def inbound(clock: FixedClock, provider_id: str = "SM001", sender: str = "whatsapp:+573005550101",
            channel: str = "whatsapp", text: str = "¿Cuál es el horario de atención?",
            name: str | None = "Ana Pérez", raw: dict[str, object] | None = None) -> InboundMessage:
    return InboundMessage(channel=channel, provider_message_id=provider_id, sender=sender,
                          text=text, received_at=clock.now(), sender_name=name,
                          raw=raw if raw is not None else {"MessageSid": provider_id})


def accept(runtime: Runtime, message: InboundMessage) -> Accepted:
    with runtime.factory() as session:
        return accept_inbound(session, runtime.config, message)


def count(runtime: Runtime, model: type) -> int:
    with runtime.factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def contact_of(runtime: Runtime, channel: str, address: str) -> Contact:
    with runtime.factory() as session:
        stmt = select(Contact).join(ContactIdentity).where(
            ContactIdentity.channel == channel, ContactIdentity.address == address)
        found = session.scalars(stmt).one()
        session.expunge(found)
        return found


def test_a_message_is_stored_once_per_provider_id(runtime: Runtime, clock: FixedClock) -> None:
    first = accept(runtime, inbound(clock))
    again = accept(runtime, inbound(clock, text="the provider retried"))
    assert first.is_new and not again.is_new
    assert again.message_id == first.message_id
    assert count(runtime, Message) == 1


def test_the_same_provider_id_on_another_channel_is_another_message(
        runtime: Runtime, clock: FixedClock) -> None:
    accept(runtime, inbound(clock, provider_id="42"))
    other = accept(runtime, inbound(clock, provider_id="42", channel="telegram",
                                    sender="telegram:12345"))
    assert other.is_new
    assert count(runtime, Message) == 2


def test_the_stored_row_keeps_text_sender_and_raw_payload(
        runtime: Runtime, clock: FixedClock) -> None:
    accepted = accept(runtime, inbound(clock, raw={"MessageSid": "SM001", "Body": "hola",
                                                   "bytes": b"\xc3\xb1", "at": clock.now()}))
    with runtime.factory() as session:
        row = session.get(Message, accepted.message_id)
        assert row is not None
        assert (row.direction, row.channel, row.status) == ("in", "whatsapp", "received")
        assert (row.sender, row.text) == ("whatsapp:+573005550101",
                                          "¿Cuál es el horario de atención?")
        assert row.created_at == clock.now()
        assert row.raw["MessageSid"] == "SM001"
        assert row.raw["bytes"] == "ñ"
        assert row.raw["at"] == clock.now().isoformat()


def test_the_first_message_creates_the_contact_and_identity(
        runtime: Runtime, clock: FixedClock) -> None:
    accepted = accept(runtime, inbound(clock))
    contact = contact_of(runtime, "whatsapp", "whatsapp:+573005550101")
    assert contact.name == "Ana Pérez"
    assert contact.vip is False
    with runtime.factory() as session:
        row = session.get(Message, accepted.message_id)
        assert row is not None and row.contact_id == contact.id


def test_later_messages_reuse_the_contact(runtime: Runtime, clock: FixedClock) -> None:
    accept(runtime, inbound(clock, provider_id="SM001"))
    accept(runtime, inbound(clock, provider_id="SM002", name=None))
    assert (count(runtime, Contact), count(runtime, ContactIdentity), count(runtime, Message)) == (
        1, 1, 2)


def test_a_configured_vip_address_makes_a_vip_contact(runtime: Runtime, clock: FixedClock) -> None:
    accept(runtime, inbound(clock, provider_id="<a@cliente.com>", channel="email",
                            sender="vip@cliente.com"))
    accept(runtime, inbound(clock, provider_id="SM9", sender="whatsapp:+573001112233"))
    accept(runtime, inbound(clock, provider_id="<b@otro.com>", channel="email",
                            sender="alguien@otro.com"))
    assert contact_of(runtime, "email", "vip@cliente.com").vip is True
    assert contact_of(runtime, "whatsapp", "whatsapp:+573001112233").vip is True
    assert contact_of(runtime, "email", "alguien@otro.com").vip is False


def test_receive_answers_once_and_ignores_the_provider_retry(
        runtime: Runtime, clock: FixedClock) -> None:
    message = inbound(clock)
    result = receive(runtime.factory, runtime.ctx, message)
    assert result is not None
    assert result.lang == "es"
    replies = count(runtime, OutboxItem)
    assert replies >= 1

    assert receive(runtime.factory, runtime.ctx, message) is None
    assert count(runtime, OutboxItem) == replies
    assert count(runtime, Message) == 1


def test_receive_handles_a_new_provider_id_from_the_same_contact(
        runtime: Runtime, clock: FixedClock) -> None:
    assert receive(runtime.factory, runtime.ctx, inbound(clock, provider_id="SM001")) is not None
    replies = count(runtime, OutboxItem)
    later = inbound(clock, provider_id="SM002", text="quiero hablar con un agente")
    assert receive(runtime.factory, runtime.ctx, later) is not None
    assert count(runtime, OutboxItem) > replies


def test_received_at_is_kept_in_utc(runtime: Runtime, clock: FixedClock) -> None:
    accepted = accept(runtime, inbound(clock))
    with runtime.factory() as session:
        row = session.get(Message, accepted.message_id)
        assert row is not None
        assert row.created_at.utcoffset() == timedelta(0)
        assert row.created_at == clock.now()


def test_stored_messages_are_routed_one_at_a_time_in_the_order_they_came(
        runtime: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhooks answered at once, routing in the background: a customer's quick follow-ups
    are still handled in order, never two at once."""
    texts = ["Hola", "Nos debitaron dos veces la mensualidad", "necesitamos la devolución",
             "¿Cuál es el horario de atención?", "gracias", "una pregunta más"]
    routed: list[int] = []
    running = 0
    most_running = 0

    def watched(factory: object, ctx: object, message_id: int, *inputs: object) -> object:
        nonlocal running, most_running
        running += 1
        most_running = max(most_running, running)
        try:
            return process_message(factory, ctx, message_id, *inputs)  # type: ignore[arg-type]
        finally:
            routed.append(message_id)
            running -= 1

    monkeypatch.setattr(pipeline, "process_message", watched)

    async def webhooks() -> list[bool]:
        news = [await pipeline.accept_then_route(runtime.factory, runtime.ctx,
                                                 inbound(clock, f"SM{n}", text=text))
                for n, text in enumerate(texts)]
        await runtime.ctx.work.drain()
        return news

    assert asyncio.run(webhooks()) == [True] * len(texts)
    with runtime.factory() as session:
        stored = list(session.scalars(select(Message.id).where(Message.direction == "in")
                                      .order_by(Message.id)))
        statuses = set(session.scalars(select(Message.status).where(Message.direction == "in")))
    assert routed == stored
    assert most_running == 1
    assert statuses == {"processed"}
