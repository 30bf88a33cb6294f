"""The 24-hour window: free text inside it; outside, an approved template or the message is held."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import Runtime
from bot.config.root import AtiendeConfig
from bot.desk.agent_commands import AgentCommand, apply_command
from bot.desk.notify import tell_customer
from bot.engine.inbox import accept_inbound
from bot.engine.outbox import enqueue
from bot.store.db import transaction
from bot.store.models import Conversation, OutboxItem, Rating, Ticket
from channels.base import InboundMessage, OutboundMessage
from channels.whatsapp.window import can_send_free_text, purpose_of
from scheduler.clock import FixedClock
from tests.channels.conftest import Live
from tests.fakes.clients import CUSTOMER
from tests.fakes.twilio_api import FakeTwilio

AGENT_REPLY_SID = "HX" + "a" * 32
PAGE_SID = "HX" + "b" * 32
RATING_SID = "HX" + "d" * 32
BILLING_PROBLEM = ("Nos debitaron dos veces la mensualidad y necesitamos la devolución del "
                   "dinero, ya revisamos el extracto")
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(("last", "expected"), [
    (None, False),
    (NOW, True),
    (NOW - timedelta(hours=23, minutes=59, seconds=59), True),
    (NOW - timedelta(hours=24), False),
    (NOW - timedelta(days=3), False),
])
def test_can_send_free_text_only_within_24_hours(last: datetime | None, expected: bool) -> None:
    assert can_send_free_text(last, NOW) is expected


@pytest.mark.parametrize(("kind", "purpose"), [
    ("reply", "agent_reply"), ("agent_reply", "agent_reply"), ("ticket_resolved", "agent_reply"),
    ("rating_request", "rating_request"), ("page", "page"),
])
def test_each_outbound_kind_has_a_template_purpose(kind: str, purpose: str) -> None:
    assert purpose_of(kind) == purpose


def with_templates(config: AtiendeConfig) -> AtiendeConfig:
    data = config.model_dump(by_alias=True)
    data["channels"]["whatsapp"]["templates"] = {
        "agent_reply": {"content_sid": AGENT_REPLY_SID,
                        "variables": {"1": "{ticket_number}", "2": "{text}"}},
        "page": {"content_sid": PAGE_SID, "variables": {"1": "{company}", "2": "{text}"}},
    }
    return AtiendeConfig.model_validate({**data, "source": config.source})


def open_ticket(live: Live) -> Ticket:
    live.whatsapp_in(BILLING_PROBLEM)
    live.dispatch()
    with live.runtime.factory() as session:
        return session.scalars(select(Ticket)).one()


def agent_answers(live: Live, ticket: Ticket, text: str, now: datetime) -> int:
    """An agent's answer, queued through the engine's outbox for the customer's chat."""
    with transaction(live.runtime.factory) as session:
        conversation = session.get(Conversation, ticket.conversation_id)
        assert conversation is not None
        return enqueue(session, channel=conversation.channel, recipient=conversation.address,
                       text=text, kind="agent_reply", conversation_id=conversation.id,
                       ticket_id=ticket.id, now=now).id


def outbox_row(live: Live, item_id: int) -> OutboxItem:
    with live.runtime.factory() as session:
        found = session.get(OutboxItem, item_id)
        assert found is not None
        return found


def test_inside_the_window_the_agent_answer_goes_as_free_text(
        live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
    ticket = open_ticket(live)
    clock.advance(timedelta(hours=23))
    agent_answers(live, ticket, "Ya reversamos el cobro duplicado.", clock.now())
    assert live.dispatch() == 1
    last = twilio_api.messages[-1]
    assert last.one("Body") == "Ya reversamos el cobro duplicado."
    assert last.one("ContentSid") is None


def test_outside_the_window_without_a_template_the_answer_is_held_with_the_reason(
        live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
    ticket = open_ticket(live)
    sent_before = len(twilio_api.messages)
    clock.advance(timedelta(hours=25))
    item_id = agent_answers(live, ticket, "Ya reversamos el cobro duplicado.", clock.now())
    assert live.dispatch() == 0
    held = outbox_row(live, item_id)
    assert held.status == "held"
    assert held.last_error == (
        "outside the WhatsApp 24 h window (customer's last message: 2026-11-24T15:00+00:00) "
        "and no template configured for agent_reply (channels.whatsapp.templates.agent_reply); "
        "held until the customer writes again")
    assert len(twilio_api.messages) == sent_before


def test_a_held_answer_goes_out_when_the_customer_writes_again(
        live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
    ticket = open_ticket(live)
    clock.advance(timedelta(days=2))
    item_id = agent_answers(live, ticket, "Ya reversamos el cobro duplicado.", clock.now())
    live.dispatch()
    assert outbox_row(live, item_id).status == "held"
    live.whatsapp_in("¿Hay novedades de mi ticket?")
    live.dispatch()
    assert outbox_row(live, item_id).status == "sent"
    bodies = [m.one("Body") for m in twilio_api.messages]
    assert "Ya reversamos el cobro duplicado." in bodies


def resolve_later(live: Live, clock: FixedClock, ticket: Ticket, after: timedelta) -> None:
    """The agent resolves the ticket `after` the customer's message: a rating is requested."""
    clock.advance(after)
    with transaction(live.runtime.factory) as session:
        found = session.get(Ticket, ticket.id)
        assert found is not None
        apply_command(session, live.runtime.ctx.desk, found, "ana@example.com",
                      AgentCommand("resolve"), clock.now())


def rating_of(live: Live, ticket: Ticket) -> Rating:
    with live.runtime.factory() as session:
        return session.scalars(select(Rating).where(Rating.ticket_id == ticket.id)).one()


def test_a_rating_request_inside_the_window_goes_as_numbered_text(
        live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
    ticket = open_ticket(live)
    resolve_later(live, clock, ticket, timedelta(hours=2))
    live.dispatch()
    bodies = [m.one("Body") or "" for m in twilio_api.messages]
    assert any("Responde con un número del 1 al 5" in body and "5 = excelente" in body
               for body in bodies)
    assert rating_of(live, ticket).request_status == "sent"


def test_a_rating_request_outside_the_window_is_recorded_as_not_sent(
        live: Live, clock: FixedClock) -> None:
    ticket = open_ticket(live)
    resolve_later(live, clock, ticket, timedelta(hours=30))
    live.dispatch()
    rating = rating_of(live, ticket)
    assert rating.request_status == "not_sent"
    assert rating.not_sent_reason is not None
    assert "no template configured for rating_request" in rating.not_sent_reason


class TestWithTemplates:
    @pytest.fixture
    def config(self, config: AtiendeConfig) -> AtiendeConfig:
        return with_templates(config)

    def test_outside_the_window_the_agent_reply_template_is_sent(
            self, live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
        ticket = open_ticket(live)
        clock.advance(timedelta(hours=30))
        item_id = agent_answers(live, ticket, "Ya reversamos el cobro duplicado.", clock.now())
        assert live.dispatch() == 1
        last = twilio_api.messages[-1]
        assert last.one("Body") is None
        assert last.one("ContentSid") == AGENT_REPLY_SID
        assert json.loads(last.one("ContentVariables") or "") == {
            "1": str(ticket.number), "2": "Ya reversamos el cobro duplicado."}
        assert outbox_row(live, item_id).status == "sent"

    def test_a_resolution_notice_outside_the_window_uses_the_template_too(
            self, live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
        ticket = open_ticket(live)
        clock.advance(timedelta(days=3))
        with transaction(live.runtime.factory) as session:
            found = session.get(Ticket, ticket.id)
            assert found is not None
            tell_customer(session, found, "ticket_resolved", clock.now())
        assert live.dispatch() == 1
        variables = json.loads(twilio_api.messages[-1].one("ContentVariables") or "")
        assert variables["1"] == str(ticket.number)
        assert "Marcamos tu ticket #1" in variables["2"]

    def test_an_on_call_page_outside_the_window_uses_the_page_template(
            self, live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
        agent = "whatsapp:+573009998877"
        with transaction(live.runtime.factory) as session:
            enqueue(session, channel="whatsapp", recipient=agent, kind="page", now=clock.now(),
                    text="Emergencia VIP: ticket #7")
        assert live.dispatch() == 1
        last = twilio_api.messages[-1]
        assert (last.one("To"), last.one("ContentSid")) == (agent, PAGE_SID)
        assert json.loads(last.one("ContentVariables") or "") == {
            "1": "Atiende", "2": "Emergencia VIP: ticket #7"}

    def test_a_rating_request_without_its_own_template_is_held(
            self, live: Live, clock: FixedClock) -> None:
        with transaction(live.runtime.factory) as session:
            item_id = enqueue(session, channel="whatsapp", recipient=CUSTOMER,
                              kind="rating_request", now=clock.now(),
                              text="¿Cómo calificas la atención? (1-5)").id
        live.dispatch()
        held = outbox_row(live, item_id)
        assert held.status == "held"
        assert "no template configured for rating_request" in held.last_error


def customer_wrote(runtime: Runtime, sid: str, sender: str, at: datetime) -> None:
    with runtime.factory() as session:
        accept_inbound(session, runtime.config, InboundMessage(
            channel="whatsapp", provider_message_id=sid, sender=sender, text="Hola",
            received_at=at))


def test_a_window_closed_when_the_batch_began_is_read_again_before_sending(
        live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
    channel = live.whatsapp.channel
    assert channel is not None
    customer_wrote(live.runtime, "SMold", CUSTOMER, clock.now() - timedelta(days=2))
    live.server.run(channel.prepare([CUSTOMER]))   # the batch sees the window closed
    customer_wrote(live.runtime, "SMnew", CUSTOMER, clock.now())   # then the customer writes
    live.server.run(channel.send(OutboundMessage(channel="whatsapp", recipient=CUSTOMER,
                                                 text="Ya quedó", kind="agent_reply")))
    last = twilio_api.messages[-1]
    assert (last.one("Body"), last.one("ContentSid")) == ("Ya quedó", None)


class TestWithARatingTemplate:
    @pytest.fixture
    def config(self, config: AtiendeConfig) -> AtiendeConfig:
        data = config.model_dump(by_alias=True)
        data["channels"]["whatsapp"]["templates"] = {
            "rating_request": {"content_sid": RATING_SID, "variables": {"1": "{ticket_number}"}}}
        return AtiendeConfig.model_validate({**data, "source": config.source})

    def test_a_rating_request_outside_the_window_uses_its_template(
            self, live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
        ticket = open_ticket(live)
        resolve_later(live, clock, ticket, timedelta(hours=30))
        live.dispatch()
        templated = [m for m in twilio_api.messages if m.one("ContentSid") == RATING_SID]
        assert [json.loads(m.one("ContentVariables") or "") for m in templated] == [
            {"1": str(ticket.number)}]
        assert rating_of(live, ticket).request_status == "sent"


def test_an_open_window_is_kept_across_batches_until_it_expires(
        live: Live, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    channel = live.whatsapp.channel
    assert channel is not None
    other = "whatsapp:+573009990000"
    customer_wrote(live.runtime, "SMk1", CUSTOMER, clock.now() - timedelta(hours=23))
    asked: list[list[str]] = []
    real = channel.last_inbound_many

    def counted(addresses: list[str]) -> dict[str, datetime | None]:
        asked.append(list(addresses))
        return real(addresses)

    monkeypatch.setattr(channel, "last_inbound_many", counted)
    live.server.run(channel.prepare([CUSTOMER, other]))
    live.server.run(channel.prepare([CUSTOMER, other]))   # the closed one is read again
    assert asked == [[CUSTOMER, other], [other]]
    clock.advance(timedelta(hours=2))   # 25 h after the customer wrote: read again, closed
    live.server.run(channel.prepare([CUSTOMER]))
    assert asked[-1] == [CUSTOMER] and CUSTOMER not in channel.open_windows
