"""The customer is told when their ticket changes: assigned (with the agent's first name),
waiting on them, in progress, resolved, the waiting reminder — switchable, in their language,
after quiet hours unless urgent; an agent's answer is relayed and never repeated by a notice."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.app import Runtime, build_runtime
from bot.cli.chat import ChatSession
from bot.config.root import AtiendeConfig
from bot.desk.agent_commands import AgentCommand, apply_command
from bot.desk.relay import answer_customer
from bot.desk.sweeps import sweep
from bot.store.db import transaction
from bot.store.models import OutboxItem, Ticket
from scheduler.clock import FixedClock
from tests.conftest import BOGOTA
from tests.transcript import send, ticket

BILLING_ES = ("Nos debitaron dos veces la mensualidad y necesitamos la devolución del dinero, "
              "ya revisamos el extracto")
BILLING_EN = ("We were charged twice for the monthly fee and need a refund of the money, "
              "we already checked the statement")
OUTAGE_EN = "Urgent: the system is down and we cannot sell in any branch"


def agent_does(runtime: Runtime, number: int, name: str, argument: str = "") -> None:
    with transaction(runtime.factory) as session:
        found = session.query(Ticket).filter(Ticket.number == number).one()
        apply_command(session, runtime.ctx.desk, found, "luis@example.com",
                      AgentCommand(name, argument), runtime.clock.now())


def delivered(chat: ChatSession, at: datetime) -> list[str]:
    chat.delivered.clear()
    asyncio.run(chat.dispatcher.deliver_due(at))
    return [message.text for message in chat.delivered]


def test_es_assigned_notice_names_the_agent(chat: ChatSession, runtime: Runtime) -> None:
    send(chat, BILLING_ES)
    agent_does(runtime, 1, "assign", "ana@example.com")
    [notice] = delivered(chat, runtime.clock.now())
    assert notice.startswith("Ana se está encargando de tu ticket #1")


def test_en_non_urgent_notice_waits_for_the_end_of_quiet_hours(runtime: Runtime,
                                                                clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 24, 22, 0, tzinfo=BOGOTA))
    chat = ChatSession(runtime, "console:bob")
    send(chat, BILLING_EN)
    agent_does(runtime, 1, "assign", "ana@example.com")
    assert delivered(chat, clock.now()) == []
    assert delivered(chat, datetime(2026, 11, 25, 6, 59, tzinfo=BOGOTA)) == []
    [notice] = delivered(chat, datetime(2026, 11, 25, 7, 0, tzinfo=BOGOTA))
    assert notice.startswith("Ana is taking care of ticket #1")


def test_en_an_urgent_ticket_is_told_at_once_even_at_night(runtime: Runtime,
                                                           clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 24, 23, 0, tzinfo=BOGOTA))
    chat = ChatSession(runtime, "console:carl")
    send(chat, OUTAGE_EN)
    agent_does(runtime, 1, "assign", "luis@example.com")
    assert any(text.startswith("Luis is taking care of ticket #1")
               for text in delivered(chat, clock.now()))


def test_es_notices_can_be_switched_off(config: AtiendeConfig, clock: FixedClock) -> None:
    notices = config.notices.model_copy(update={"assigned": False, "resolved": False})
    built = build_runtime(config.model_copy(update={"notices": notices}), clock)
    try:
        chat = ChatSession(built, "console:ana")
        send(chat, BILLING_ES)
        agent_does(built, 1, "assign", "ana@example.com")
        agent_does(built, 1, "resolve")
        said = " ".join(delivered(chat, clock.now()))
    finally:
        built.engine.dispose()
    assert "se está encargando" not in said and "como resuelto" not in said
    assert "1 al 5" in said or "del 1" in said, "the rating request is not a switchable notice"


def agent_answers(runtime: Runtime, number: int, text: str) -> None:
    """An answer from the web inbox: relayed to the customer as written."""
    with transaction(runtime.factory) as session:
        found = session.query(Ticket).filter(Ticket.number == number).one()
        answer_customer(session, runtime.ctx.desk, found, "luis@example.com", text,
                        runtime.clock.now(), "web inbox")


def test_es_waiting_on_you_without_an_answer_tells_the_customer(chat: ChatSession,
                                                                runtime: Runtime) -> None:
    send(chat, BILLING_ES)
    delivered(chat, runtime.clock.now())
    agent_does(runtime, 1, "note", "Falta el número de la factura: pedirlo")
    agent_does(runtime, 1, "status", "waiting_customer")
    [notice] = delivered(chat, runtime.clock.now())
    assert notice.startswith("Tu ticket #1 (Nos debitaron dos veces")
    assert "está esperando tu respuesta: Luis necesita más información" in notice
    assert "Falta el número" not in notice, "an internal note never reaches the customer"


def test_es_an_answer_that_asks_is_the_only_message(chat: ChatSession,
                                                    runtime: Runtime) -> None:
    send(chat, BILLING_ES)
    delivered(chat, runtime.clock.now())
    agent_answers(runtime, 1, "¿Nos envías el número de la factura?")
    agent_does(runtime, 1, "status", "waiting_customer")
    assert delivered(chat, runtime.clock.now()) == ["¿Nos envías el número de la factura?"]
    assert ticket(runtime, 1).status == "waiting_customer"


def test_es_after_the_customer_writes_again_a_new_wait_is_told(chat: ChatSession,
                                                               runtime: Runtime,
                                                               clock: FixedClock) -> None:
    send(chat, BILLING_ES)
    agent_answers(runtime, 1, "¿Nos envías el número de la factura?")
    agent_does(runtime, 1, "status", "waiting_customer")
    clock.advance(timedelta(minutes=30))
    send(chat, "La factura es la FV-2291 del 3 de noviembre")
    assert ticket(runtime, 1).status == "open"
    clock.advance(timedelta(minutes=30))
    delivered(chat, clock.now())
    agent_does(runtime, 1, "status", "waiting_customer")
    [notice] = delivered(chat, clock.now())
    assert "esperando tu respuesta" in notice


def test_en_in_progress_without_a_word_to_the_customer_is_told(runtime: Runtime) -> None:
    chat = ChatSession(runtime, "console:bob")
    send(chat, BILLING_EN)
    delivered(chat, runtime.clock.now())
    agent_does(runtime, 1, "status", "in_progress")
    [notice] = delivered(chat, runtime.clock.now())
    assert notice.startswith("Ticket #1 (We were charged twice")
    assert "is in progress: Luis is working on it." in notice


def test_en_in_progress_is_not_repeated_after_an_assignment_or_an_answer(
        runtime: Runtime) -> None:
    chat = ChatSession(runtime, "console:bob")
    send(chat, BILLING_EN)
    send(chat, "Also, the invoice for October shows the wrong tax id, please check it too")
    agent_does(runtime, 1, "assign", "ana@example.com")
    agent_does(runtime, 1, "status", "in_progress")
    [assigned] = delivered(chat, runtime.clock.now())
    assert assigned.startswith("Ana is taking care of ticket #1")
    agent_does(runtime, 1, "status", "open")
    agent_answers(runtime, 1, "We are reversing the second charge now.")
    agent_does(runtime, 1, "status", "in_progress")
    assert delivered(chat, runtime.clock.now()) == ["We are reversing the second charge now."]


def test_en_an_answer_is_relayed_with_no_answered_notice(runtime: Runtime) -> None:
    chat = ChatSession(runtime, "console:bob")
    send(chat, BILLING_EN)
    delivered(chat, runtime.clock.now())
    agent_answers(runtime, 1, "Could you send us the invoice number?")
    assert delivered(chat, runtime.clock.now()) == ["Could you send us the invoice number?"]
    assert ticket(runtime, 1).status == "in_progress"


def test_en_waiting_on_you_waits_for_the_end_of_quiet_hours(runtime: Runtime,
                                                            clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 24, 21, 30, tzinfo=BOGOTA))
    chat = ChatSession(runtime, "console:bob")
    send(chat, BILLING_EN)
    delivered(chat, clock.now())
    agent_does(runtime, 1, "status", "waiting_customer")
    assert delivered(chat, clock.now()) == []
    [notice] = delivered(chat, datetime(2026, 11, 25, 7, 0, tzinfo=BOGOTA))
    assert "is waiting for your reply: Luis needs more information" in notice


def test_en_status_notices_can_be_switched_off(config: AtiendeConfig,
                                               clock: FixedClock) -> None:
    notices = config.notices.model_copy(update={"info_requested": False,
                                                "status_changed": False})
    built = build_runtime(config.model_copy(update={"notices": notices}), clock)
    try:
        chat = ChatSession(built, "console:bob")
        send(chat, BILLING_EN)
        delivered(chat, clock.now())
        agent_does(built, 1, "status", "in_progress")
        agent_does(built, 1, "status", "waiting_customer")
        assert delivered(chat, clock.now()) == []
    finally:
        built.engine.dispose()


def reminder_rows(runtime: Runtime) -> list[OutboxItem]:
    with runtime.factory() as session:
        return [item for item in session.scalars(select(OutboxItem))
                if item.payload.get("kind") == "waiting_reminder"]


def test_en_the_waiting_reminder_waits_for_the_morning(runtime: Runtime,
                                                       clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 24, 21, 30, tzinfo=BOGOTA))
    chat = ChatSession(runtime, "console:bob")
    send(chat, BILLING_EN)
    agent_does(runtime, 1, "status", "waiting_customer")
    delivered(chat, datetime(2026, 11, 25, 8, 0, tzinfo=BOGOTA))
    due = datetime(2026, 11, 26, 21, 30, tzinfo=BOGOTA)
    clock.set(due)
    sweep(runtime.factory, runtime.ctx.desk, due)
    assert delivered(chat, due) == []
    [reminder] = delivered(chat, datetime(2026, 11, 27, 7, 0, tzinfo=BOGOTA))
    assert reminder.startswith("Hi, we are still waiting for your reply on ticket #1")


def test_es_the_waiting_reminder_can_be_switched_off(config: AtiendeConfig,
                                                     clock: FixedClock) -> None:
    notices = config.notices.model_copy(update={"reminder": False})
    built = build_runtime(config.model_copy(update={"notices": notices}), clock)
    try:
        send(ChatSession(built, "console:ana"), BILLING_ES)
        agent_does(built, 1, "status", "waiting_customer")
        later = clock.now() + timedelta(days=3)
        clock.set(later)
        sweep(built.factory, built.ctx.desk, later)
        assert reminder_rows(built) == []
        assert ticket(built, 1).status == "waiting_customer"
    finally:
        built.engine.dispose()
