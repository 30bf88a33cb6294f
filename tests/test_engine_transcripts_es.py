"""Conversations in Spanish through the console channel and the real engine."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import Runtime
from bot.cli.chat import ChatSession
from bot.desk import tickets
from bot.store.db import transaction
from bot.store.models import Conversation, KbFeedback, OutboxItem, Ticket
from tests.transcript import actions, count, send, ticket

BILLING_PROBLEM = ("Nos debitaron dos veces la mensualidad y necesitamos la devolución del "
                   "dinero, ya revisamos el extracto")


def test_greeting_only_is_greeted_without_a_ticket(chat: ChatSession, runtime: Runtime) -> None:
    result = chat.send("Hola, buenos días")
    assert "¡Hola Ana!" in result["replies"][0]["text"]
    assert "en qué te puedo ayudar" in result["replies"][0]["text"]
    assert result["ticket"] is None and result["lang"] == "es"
    assert count(runtime, Ticket) == 0


def test_kb_answer_then_yes_is_deflected(chat: ChatSession, runtime: Runtime) -> None:
    result = chat.send("¿Cuál es el horario de atención?")
    assert "8:00" in result["replies"][0]["text"]
    assert result["replies"][0]["text"].endswith("¿Te ayudó? (sí/no)")
    assert result["replies"][0]["buttons"] == ["Sí", "No"]
    assert "¡Qué bien!" in send(chat, "sí")
    with runtime.factory() as session:
        conversation = session.scalars(select(Conversation)).one()
        feedback = session.scalars(select(KbFeedback)).one()
    assert conversation.resolved_by_bot is True
    assert feedback.article_id == "support-hours-es" and feedback.helpful is True
    assert count(runtime, Ticket) == 0
    assert actions(runtime)[-2:] == ["kb_answered", "deflected"]


def test_kb_answer_then_no_opens_a_ticket_with_the_question(chat: ChatSession,
                                                             runtime: Runtime) -> None:
    chat.send("¿Cuál es el horario de atención?")
    result = chat.send("no")
    assert result["ticket"] == 1 and result["ticket_status"] == "open"
    assert "Creé tu ticket #1" in result["replies"][0]["text"]
    assert ticket(runtime, 1).description == "¿Cuál es el horario de atención?"
    assert "kb_not_helpful" in actions(runtime)


def test_problem_the_kb_cannot_answer_becomes_a_ticket(chat: ChatSession,
                                                        runtime: Runtime) -> None:
    result = chat.send(BILLING_PROBLEM)
    text = result["replies"][0]["text"]
    assert "Creé tu ticket #1 (categoría: facturación, prioridad: media)" in text
    # Tuesday 10:00 + 8 business hours (medium) = Wednesday 9:00
    assert "Un agente te responderá a más tardar mañana a las 9:00 (hora de Colombia)." in text
    created = ticket(runtime, 1)
    assert (created.category, created.priority, created.status, created.level) == (
        "billing", "medium", "open", 1)
    assert created.language == "es"
    assert actions(runtime, 1) == ["created"]


def test_emergency_words_make_a_critical_ticket(chat: ChatSession, runtime: Runtime) -> None:
    chat.send("Urgente: el sistema está caído y no podemos vender en ninguna sucursal")
    created = ticket(runtime, 1)
    assert (created.category, created.priority) == ("emergency", "critical")


def test_agent_request_asks_for_the_problem_then_for_the_category(chat: ChatSession,
                                                                   runtime: Runtime) -> None:
    assert "cuéntame brevemente qué pasó" in send(chat, "quiero hablar con un agente")
    assert count(runtime, Ticket) == 0
    text = send(chat, "La app se queda en blanco cuando abro el menú principal")
    assert "Creé tu ticket #1" in text
    text = send(chat, "Al abrir la pantalla de clientes sale un mensaje raro")
    assert "Agregué tu mensaje al ticket #1" in text


def test_a_vague_problem_gets_a_best_guess_category_without_a_question(
        chat: ChatSession, runtime: Runtime) -> None:
    # Issue 20: every ticket gets a best-guess category (agents can change it); the bot no
    # longer asks the customer to pick one from a list.
    result = chat.send("Necesito ayuda con algo que vi ayer en la plataforma de ustedes")
    texts = [reply["text"] for reply in result["replies"]]
    assert "Creé tu ticket #1" in texts[0] and "categoría: —" not in texts[0]
    assert not any("¿de qué se trata?" in text for text in texts)
    assert ticket(runtime, 1).category is not None
    assert actions(runtime, 1) == ["created"]


def test_follow_up_is_appended_to_the_open_ticket(chat: ChatSession, runtime: Runtime) -> None:
    chat.send(BILLING_PROBLEM)
    result = chat.send("Les envío el número de la transacción: 99812, del banco")
    assert result["ticket"] == 1
    assert "Agregué tu mensaje al ticket #1" in result["replies"][0]["text"]
    assert count(runtime, Ticket) == 1
    assert actions(runtime, 1) == ["created", "customer_message"]


def test_status_by_words_and_by_number(chat: ChatSession, runtime: Runtime) -> None:
    chat.send(BILLING_PROBLEM)
    text = send(chat, "¿cómo va mi ticket?")
    assert "Ticket #1: Nos debitaron dos veces" in text
    assert "Estado: abierto · Prioridad: media · Asignado a: sin asignar" in text
    assert "Ticket #1" in send(chat, "#1")
    assert "No encuentro el ticket #77" in send(chat, "#77")


def test_status_without_tickets(chat: ChatSession) -> None:
    assert "No encuentro tickets a tu nombre" in send(chat, "estado")


def test_customer_escalation_raises_the_level(chat: ChatSession, runtime: Runtime) -> None:
    chat.send(BILLING_PROBLEM)
    assert "Escalé tu ticket #1 al nivel 2 (senior)" in send(chat, "solicito escalamiento")
    assert ticket(runtime, 1).level == 2
    for _ in range(2):
        chat.send("solicito escalamiento")
    assert "ya está en el nivel más alto" in send(chat, "solicito escalamiento")
    assert ticket(runtime, 1).level == 4
    assert actions(runtime, 1).count("escalated") == 4


def test_escalation_without_a_ticket(chat: ChatSession) -> None:
    assert "No tienes tickets abiertos para escalar" in send(chat, "solicito escalamiento")


def resolve(runtime: Runtime, number: int) -> None:
    with transaction(runtime.factory) as session:
        found = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        tickets.set_status(session, runtime.ctx.desk, found, "resolved",
                           "agent:ana@example.com", runtime.clock.now())


def test_message_after_resolved_reopens_and_fourth_reopen_escalates(chat: ChatSession,
                                                                    runtime: Runtime) -> None:
    chat.send(BILLING_PROBLEM)
    for round_number in range(1, 5):
        resolve(runtime, 1)
        result = chat.send("Otra vez nos debitaron la mensualidad, revisen por favor")
        assert "Reabrí tu ticket #1" in result["replies"][0]["text"]
        assert result["ticket_status"] == "open"
        assert ticket(runtime, 1).reopen_count == round_number
    assert ticket(runtime, 1).level == 2
    assert actions(runtime, 1).count("escalated") == 1


def test_every_reply_is_an_outbox_row_delivered_to_the_console(chat: ChatSession,
                                                               runtime: Runtime) -> None:
    chat.send("Hola")
    chat.send(BILLING_PROBLEM)
    with runtime.factory() as session:
        rows = list(session.scalars(select(OutboxItem).where(OutboxItem.channel == "console")
                                    .order_by(OutboxItem.id)))
        notices = list(session.scalars(select(OutboxItem).where(OutboxItem.channel == "email")))
    assert [row.status for row in rows] == ["sent", "sent"]
    # the new ticket is mailed to the level-1 agent; it waits for the email channel
    assert [(n.recipient, n.status, n.payload["kind"]) for n in notices] == [
        ("ana@example.com", "pending", "agent_notice")]
    assert notices[0].payload["subject"].startswith("[#1] Nos debitaron")
    assert "> " + BILLING_PROBLEM in notices[0].payload["text"]
    assert {row.recipient for row in rows} == {"console:ana"}
    assert rows[1].ticket_id is not None and rows[1].provider_message_id.startswith("console-out")
