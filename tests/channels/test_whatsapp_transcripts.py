"""WhatsApp conversations end to end, es and en: Twilio webhook in, engine, Twilio REST out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from bot.engine.outbox import enqueue
from bot.store.db import transaction
from bot.store.models import Conversation, Ticket
from scheduler.clock import FixedClock
from tests.channels.conftest import PUBLIC_URL, Live
from tests.fakes.clients import CUSTOMER, twilio_params, twilio_post
from tests.fakes.twilio_api import FakeTwilio

BILLING_PROBLEM = ("Nos debitaron dos veces la mensualidad y necesitamos la devolución del "
                   "dinero, ya revisamos el extracto")
TECH_PROBLEM = "The app crashes every time I try to save a new work order, error 500"


def turn(live: Live, twilio_api: FakeTwilio, text: str, sender: str = CUSTOMER) -> list[str]:
    """The customer writes; the dispatcher runs; what reached their WhatsApp."""
    before = len(twilio_api.messages)
    live.whatsapp_in(text, sender=sender)
    live.dispatch()
    return [m.one("Body") or "" for m in twilio_api.messages[before:]
            if m.one("To") == sender]


def agent_answer(live: Live, text: str) -> None:
    """An agent's answer, inserted through the engine's outbox (until the email relay lands)."""
    with transaction(live.runtime.factory) as session:
        ticket = session.scalars(select(Ticket)).one()
        conversation = session.get(Conversation, ticket.conversation_id)
        assert conversation is not None
        enqueue(session, channel=conversation.channel, recipient=conversation.address,
                text=text, kind="agent_reply", conversation_id=conversation.id,
                ticket_id=ticket.id, now=live.runtime.clock.now())


def test_es_question_gets_the_kb_answer_and_no_opens_a_ticket(live: Live,
                                                              twilio_api: FakeTwilio) -> None:
    [answer] = turn(live, twilio_api, "¿Cuál es el horario de atención?")
    assert "8:00" in answer and answer.endswith("¿Te ayudó? (sí/no)")
    replies = turn(live, twilio_api, "No")
    assert "Creé tu ticket #1" in replies[0]


def test_es_problem_becomes_a_ticket_and_the_agent_answer_arrives(
        live: Live, twilio_api: FakeTwilio, clock: FixedClock) -> None:
    [reply] = turn(live, twilio_api, BILLING_PROBLEM)
    assert "Creé tu ticket #1 (categoría: facturación, prioridad: media)" in reply
    clock.advance(timedelta(hours=2))
    agent_answer(live, "Hola Ana, ya reversamos el cobro duplicado.")
    assert live.dispatch() == 1
    last = twilio_api.messages[-1]
    assert (last.one("To"), last.one("Body")) == (
        CUSTOMER, "Hola Ana, ya reversamos el cobro duplicado.")


def test_es_yes_after_an_answer_is_thanked_without_a_ticket(live: Live,
                                                           twilio_api: FakeTwilio) -> None:
    turn(live, twilio_api, "¿Cuál es el horario de atención?")
    [reply] = turn(live, twilio_api, "Sí")
    assert "¡Qué bien!" in reply
    with live.runtime.factory() as session:
        assert session.scalars(select(Ticket)).all() == []


def test_en_question_gets_the_kb_answer_and_yes_no(live: Live, twilio_api: FakeTwilio) -> None:
    [answer] = turn(live, twilio_api, "How do I export my data?", sender="whatsapp:+15550001111")
    assert answer.endswith("Did this help? (yes/no)")
    [reply] = turn(live, twilio_api, "yes", sender="whatsapp:+15550001111")
    assert "Great, glad I could help" in reply


def test_en_problem_becomes_a_ticket_and_the_agent_answer_arrives(
        live: Live, twilio_api: FakeTwilio) -> None:
    sender = "whatsapp:+15550002222"
    [reply] = turn(live, twilio_api, TECH_PROBLEM, sender=sender)
    assert "I opened ticket #1 for you (category: technical, priority: medium)" in reply
    agent_answer(live, "Hi, we fixed the work order bug; please try again.")
    live.dispatch()
    assert twilio_api.messages[-1].one("Body") == (
        "Hi, we fixed the work order bug; please try again.")
    assert twilio_api.messages[-1].one("To") == sender


def test_en_agent_answer_after_the_window_is_held_then_delivered(
        live: Live, twilio_api: FakeTwilio, clock: FixedClock) -> None:
    sender = "whatsapp:+15550003333"
    turn(live, twilio_api, TECH_PROBLEM, sender=sender)
    clock.advance(timedelta(hours=26))
    agent_answer(live, "Hi, we fixed the work order bug.")
    assert live.dispatch() == 0
    bodies = turn(live, twilio_api, "any news on my ticket?", sender=sender)
    assert "Hi, we fixed the work order bug." in bodies


def test_a_retried_webhook_is_answered_once(live: Live, twilio_api: FakeTwilio) -> None:
    params = twilio_params("¿Cuál es el horario de atención?")
    for _ in range(4):
        assert twilio_post(live.url, PUBLIC_URL, "/webhooks/whatsapp", params).status_code == 200
    live.dispatch()
    assert len(twilio_api.messages) == 1


def test_a_message_that_cannot_be_stored_is_not_acknowledged(live: Live,
                                                             twilio_api: FakeTwilio) -> None:
    """No 200 without storage: Twilio gets 503 and its retry is handled once stored."""
    params = twilio_params("¿Cuál es el horario de atención?")
    with live.runtime.engine.begin() as connection:
        connection.execute(text("ALTER TABLE messages RENAME TO messages_away"))
    response = twilio_post(live.url, PUBLIC_URL, "/webhooks/whatsapp", params)
    assert (response.status_code, response.text) == (
        503, "could not store the message; try again\n")
    with live.runtime.engine.begin() as connection:
        connection.execute(text("ALTER TABLE messages_away RENAME TO messages"))
    assert twilio_post(live.url, PUBLIC_URL, "/webhooks/whatsapp", params).status_code == 200
    live.dispatch()
    assert len(twilio_api.messages) == 1
