"""A bare acknowledgement ("👍", "ok", "gracias", "thanks", "listo") is no message for the
ticket: not appended, not mailed to the agents, not an unanswered question, and it does not
move a ticket waiting on the customer back to open. Thanks are answered; "ok" and "👍" are not."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.app import Runtime
from bot.cli.chat import ChatSession
from bot.desk.agent_commands import AgentCommand, apply_command
from bot.desk.relay import answer_customer
from bot.engine.replies import render
from bot.store.db import transaction
from bot.store.models import KbFeedback, Message, OutboxItem, Ticket
from tests.transcript import send, ticket

BILLING_ES = ("Nos debitaron dos veces la mensualidad y necesitamos la devolución del dinero, "
              "ya revisamos el extracto")
BILLING_EN = ("We were charged twice for the monthly fee and need a refund of the money, "
              "we already checked the statement")


def agent_asks(chat: ChatSession, runtime: Runtime, text: str) -> None:
    """Ticket #1's agent answers from the web inbox and waits on the customer (who reads it)."""
    with transaction(runtime.factory) as session:
        found = session.scalars(select(Ticket).where(Ticket.number == 1)).one()
        answer_customer(session, runtime.ctx.desk, found, "luis@example.com", text,
                        runtime.clock.now(), "web inbox")
        apply_command(session, runtime.ctx.desk, found, "luis@example.com",
                      AgentCommand("status", "waiting_customer"), runtime.clock.now())
    asyncio.run(chat.dispatcher.deliver_due(runtime.clock.now()))


def desk_state(runtime: Runtime) -> tuple[int, int, int]:
    """(messages on ticket #1, mails to agents, unanswered questions)."""
    with runtime.factory() as session:
        on_ticket = len(session.scalars(select(Message.id).join(
            Ticket, Ticket.id == Message.ticket_id).where(Ticket.number == 1)).all())
        to_agents = sum(1 for payload in session.scalars(select(OutboxItem.payload))
                        if payload.get("kind") == "agent_notice")
        unanswered = len(session.scalars(select(KbFeedback.id).where(
            KbFeedback.article_id.is_(None))).all())
    return on_ticket, to_agents, unanswered


@pytest.mark.parametrize(("text", "reply"), [
    ("👍", ""), ("ok", ""), ("listo", ""), ("Ok 👍🏽", ""), ("gracias", "thanks"),
    ("¡Muchas gracias!", "thanks"), ("ok, gracias 🙏", "thanks"),
])
def test_es_an_acknowledgement_stays_off_the_ticket(chat: ChatSession, runtime: Runtime,
                                                    text: str, reply: str) -> None:
    send(chat, BILLING_ES)
    agent_asks(chat, runtime, "¿Nos confirmas el número de la factura?")
    before = desk_state(runtime)
    said = send(chat, text)
    assert said == (render(reply, "es") if reply else "")
    assert desk_state(runtime) == before
    assert ticket(runtime, 1).status == "waiting_customer"


@pytest.mark.parametrize(("text", "reply"), [
    ("👍", ""), ("OK", ""), ("got it", ""), ("thanks", "thanks"), ("Thank you!", "thanks"),
    ("ok thanks 👌", "thanks"),
])
def test_en_an_acknowledgement_stays_off_the_ticket(runtime: Runtime, text: str,
                                                    reply: str) -> None:
    chat = ChatSession(runtime, "console:bob")
    send(chat, BILLING_EN)
    agent_asks(chat, runtime, "Could you confirm the invoice number?")
    before = desk_state(runtime)
    said = send(chat, text)
    assert said == (render(reply, "en") if reply else "")
    assert desk_state(runtime) == before
    assert ticket(runtime, 1).status == "waiting_customer"


def test_en_an_acknowledgement_with_more_to_say_goes_to_the_ticket(runtime: Runtime) -> None:
    chat = ChatSession(runtime, "console:bob")
    send(chat, BILLING_EN)
    agent_asks(chat, runtime, "Could you confirm the invoice number?")
    on_ticket, to_agents, unanswered = desk_state(runtime)
    said = send(chat, "ok, it is invoice FV-2291 from November 3")
    assert "I added your message to ticket #1" in said
    assert desk_state(runtime) == (on_ticket + 1, to_agents + 1, unanswered)
    assert ticket(runtime, 1).status == "open"


def test_es_an_acknowledgement_without_a_ticket_is_no_question(chat: ChatSession,
                                                               runtime: Runtime) -> None:
    assert send(chat, "👍") == ""
    assert send(chat, "listo") == ""
    assert desk_state(runtime) == (0, 0, 0)
    with runtime.factory() as session:
        assert session.scalars(select(Ticket)).all() == []


def test_en_a_thumbs_up_is_not_the_description_of_a_problem(runtime: Runtime) -> None:
    chat = ChatSession(runtime, "console:bob")
    assert "tell me briefly what happened" in send(chat, "I want to talk to a human")
    assert send(chat, "👍") == ""
    assert desk_state(runtime) == (0, 0, 0)
    assert "I opened ticket #1" in send(chat, BILLING_EN)
