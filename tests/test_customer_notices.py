"""The customer is told when their ticket changes: assigned (with the agent's first name),
resolved, the waiting reminder — switchable, in their language, after quiet hours unless urgent."""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.app import Runtime, build_runtime
from bot.cli.chat import ChatSession
from bot.config.root import AtiendeConfig
from bot.desk.agent_commands import AgentCommand, apply_command
from bot.store.db import transaction
from bot.store.models import Ticket
from scheduler.clock import FixedClock
from tests.conftest import BOGOTA
from tests.transcript import send

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
