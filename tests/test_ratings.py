"""Satisfaction ratings through the console channel: asked once, scored, commented, changed."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.app import Runtime
from bot.cli import tickets as cli_tickets
from bot.cli.chat import ChatSession
from bot.cli.main import main
from bot.desk import ratings
from bot.desk.agent_commands import AgentCommand, apply_command
from bot.desk.sweeps import sweep
from bot.store.db import transaction
from bot.store.models import OutboxItem, Rating, Ticket
from scheduler.clock import FixedClock
from tests.conftest import BOGOTA
from tests.transcript import actions, reply_text, send, ticket

BILLING = ("Nos debitaron dos veces la mensualidad y necesitamos la devolución del dinero, "
           "ya revisamos el extracto")
BILLING_EN = ("We were charged twice for the monthly fee and we need a refund of the money, "
              "we already checked the bank statement")
STARS = ["⭐", "⭐⭐", "⭐⭐⭐", "⭐⭐⭐⭐", "⭐⭐⭐⭐⭐"]


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2026-{text}").replace(tzinfo=BOGOTA)


def resolve(chat: ChatSession, runtime: Runtime, clock: FixedClock, when: str,
            number: int = 1) -> list[dict[str, object]]:
    """The agent's #resolve by email (agent_commands, like every path); what the customer gets."""
    clock.set(at(when))
    with transaction(runtime.factory) as session:
        found = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        apply_command(session, runtime.ctx.desk, found, "ana@example.com",
                      AgentCommand("resolve"), clock.now())
    chat.delivered.clear()
    asyncio.run(chat.dispatcher.deliver_due(clock.now()))
    return [{"text": m.text, "buttons": list(m.buttons)} for m in chat.delivered]


def say(chat: ChatSession, clock: FixedClock, when: str, text: str) -> str:
    clock.set(at(when))
    return send(chat, text)


def rating_rows(runtime: Runtime) -> list[Rating]:
    with runtime.factory() as session:
        return list(session.scalars(select(Rating).order_by(Rating.id)))


def outbox(runtime: Runtime, kind: str) -> list[OutboxItem]:
    with runtime.factory() as session:
        rows = session.scalars(select(OutboxItem).order_by(OutboxItem.id))
        return [row for row in rows if row.payload.get("kind") == kind]


def run_sweep(runtime: Runtime, clock: FixedClock, when: str) -> None:
    clock.set(at(when))
    sweep(runtime.factory, runtime.ctx.desk, clock.now())


@pytest.fixture
def resolved(chat: ChatSession, runtime: Runtime, clock: FixedClock) -> ChatSession:
    """Ticket #1 opened Tuesday 10:00 and resolved by Ana at 11:00."""
    say(chat, clock, "11-24T10:00", BILLING)
    resolve(chat, runtime, clock, "11-24T11:00")
    return chat


def test_resolving_asks_once_with_star_buttons_and_a_score_does_not_reopen(
        chat: ChatSession, runtime: Runtime, clock: FixedClock) -> None:
    say(chat, clock, "11-24T10:00", BILLING)
    told, request = resolve(chat, runtime, clock, "11-24T11:00")
    assert "Marcamos tu ticket #1" in str(told["text"])
    assert str(request["text"]).startswith("¿Cómo calificarías la atención de tu ticket #1")
    assert "Responde con un número del 1 al 5" in str(request["text"])
    assert request["buttons"] == STARS
    clock.set(at("11-24T11:10"))
    result = chat.send("⭐⭐⭐⭐⭐")
    assert result["replies"][0]["text"] == (
        "¡Gracias por calificar el ticket #1 con ⭐⭐⭐⭐⭐ (5/5)! ¿Qué podemos mejorar? "
        "Escríbelo en un mensaje (opcional; responde \"no\" para omitir).")
    assert (result["ticket"], result["ticket_status"]) == (1, "resolved")
    with transaction(runtime.factory) as session:  # a second path to resolved asks no more
        ratings.request_rating(session, runtime.ctx.desk, session.get(Ticket, 1), clock.now())
    assert len(outbox(runtime, "rating_request")) == 1
    assert "reopened" not in " ".join(actions(runtime, 1))


def test_the_comment_is_stored_with_score_agent_channel_and_time(
        resolved: ChatSession, runtime: Runtime, clock: FixedClock) -> None:
    say(resolved, clock, "11-24T11:10", "4")
    reply = say(resolved, clock, "11-24T11:12", "Que me avisen por correo cuando llegue la plata")
    assert reply == "Gracias por tu comentario: lo compartiremos con el equipo."
    [row] = rating_rows(runtime)
    assert (row.score, row.comment, row.agent, row.channel, row.rated_at) == (
        4, "Que me avisen por correo cuando llegue la plata", "ana@example.com", "console",
        at("11-24T11:10"))
    stored = ticket(runtime, 1)
    assert (stored.status, stored.rating, stored.rating_comment) == (
        "resolved", 4, "Que me avisen por correo cuando llegue la plata")
    assert actions(runtime, 1)[-2:] == ["rated", "rating_comment"]


def test_a_rating_can_be_changed_for_14_days(resolved: ChatSession, runtime: Runtime,
                                             clock: FixedClock) -> None:
    say(resolved, clock, "11-24T11:10", "excelente")
    assert say(resolved, clock, "11-24T11:11", "no") == "Entendido. ¡Gracias por calificarnos!"
    run_sweep(runtime, clock, "11-26T11:10")  # 48 h after a good score: closed
    changed = say(resolved, clock, "11-27T09:00", "mejor 4 estrellas")  # a new conversation
    assert changed.endswith("Listo, cambié la calificación del ticket #1 a ⭐⭐⭐⭐ (4/5).")
    assert say(resolved, clock, "12-08T11:00", "⭐⭐⭐") .startswith("Listo, cambié")
    late = say(resolved, clock, "12-22T11:01", "2 estrellas")  # 14 days after the last change
    assert "cambié" not in late
    [row] = rating_rows(runtime)
    assert (row.score, row.change_count, row.changed_at) == (3, 2, at("12-08T11:00"))


def test_a_low_score_escalates_tells_the_supervisor_and_holds_the_auto_close(
        resolved: ChatSession, runtime: Runtime, clock: FixedClock) -> None:
    reply = say(resolved, clock, "11-24T11:10", "malo")
    assert reply.startswith("Gracias por contarnos, y lamentamos que el ticket #1 no haya "
                            "quedado bien (2/5). Un supervisor lo va a revisar.")
    escalated = ticket(runtime, 1)
    assert (escalated.level, escalated.status) == (2, "resolved")
    assert {"escalated", "supervisors_notified"} <= set(actions(runtime, 1))
    notices = [row for row in outbox(runtime, "agent_notice") if "2/5" in row.payload["text"]]
    assert [row.recipient for row in notices] == ["luis@example.com"]  # once, not twice
    say(resolved, clock, "11-24T11:15", "Nadie me explicó por qué me cobraron dos veces")
    comments = [row for row in outbox(runtime, "agent_notice")
                if "Comentario del cliente con la calificación 2/5" in row.payload["text"]]
    assert [row.recipient for row in comments] == ["luis@example.com"]
    assert "Nadie me explicó" in comments[0].payload["text"]
    run_sweep(runtime, clock, "11-27T11:00")
    assert ticket(runtime, 1).status == "resolved"  # the supervisor decides, not the timer


def test_a_good_score_closes_48_hours_after_the_rating(
        resolved: ChatSession, runtime: Runtime, clock: FixedClock) -> None:
    say(resolved, clock, "11-24T13:00", "5 estrellas")
    run_sweep(runtime, clock, "11-26T11:00")  # 48 h after resolution: not yet
    run_sweep(runtime, clock, "11-26T12:59")
    assert ticket(runtime, 1).status == "resolved"
    run_sweep(runtime, clock, "11-26T13:00")
    run_sweep(runtime, clock, "11-27T13:00")
    assert ticket(runtime, 1).status == "closed"
    assert len(outbox(runtime, "auto_closed")) == 1


def test_resolved_without_a_rating_keeps_the_auto_close(
        resolved: ChatSession, runtime: Runtime, clock: FixedClock) -> None:
    run_sweep(runtime, clock, "11-26T10:59")
    assert ticket(runtime, 1).status == "resolved"
    run_sweep(runtime, clock, "11-26T11:00")
    assert ticket(runtime, 1).status == "closed"
    late = say(resolved, clock, "11-27T09:00", "3")  # a late score still counts
    assert late.startswith("Cerramos el ticket #1")  # the auto-close notice, delivered now
    assert "¡Gracias por calificar el ticket #1 con ⭐⭐⭐ (3/5)!" in late


def test_unrelated_text_goes_to_the_ticket_as_usual(
        resolved: ChatSession, runtime: Runtime, clock: FixedClock) -> None:
    reply = say(resolved, clock, "11-24T11:30",
                "Sigue igual, hoy nos volvieron a debitar la mensualidad completa")
    assert "Reabrí tu ticket #1" in reply
    assert ticket(runtime, 1).status == "open"
    assert "Gracias por calificar" not in say(resolved, clock, "11-24T11:31", "5")
    assert rating_rows(runtime)[0].score is None


def test_each_resolution_gets_its_own_rating(
        resolved: ChatSession, runtime: Runtime, clock: FixedClock) -> None:
    say(resolved, clock, "11-24T11:10", "4")
    say(resolved, clock, "11-24T11:11", "no")
    say(resolved, clock, "11-24T15:00", "Volvió a fallar el cobro de la mensualidad en el banco")
    resolve(resolved, runtime, clock, "11-25T09:00")
    clock.set(at("11-25T09:05"))
    assert reply_text(resolved.send("⭐⭐")).endswith(
        "Un supervisor lo va a revisar. ¿Qué podemos mejorar? Escríbelo en un mensaje "
        "(opcional; responde \"no\" para omitir).")
    assert [(row.resolution, row.score) for row in rating_rows(runtime)] == [(0, 4), (1, 2)]


def test_desk_lead_resolves_from_the_command_line_and_the_customer_rates_in_english(
        runtime: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    chat = ChatSession(runtime, "console:john", "John Smith")
    say(chat, clock, "11-24T10:00", BILLING_EN)
    monkeypatch.setattr(cli_tickets, "open_runtime", lambda _path: runtime)
    clock.set(at("11-24T11:00"))
    done = CliRunner().invoke(main, ["tickets", "resolve", "1", "--note", "refund sent"])
    assert done.exit_code == 0 and "ticket #1: resolved" in done.output
    clock.set(at("11-24T11:30"))
    replies = chat.send("very good")["replies"]
    assert replies[1]["text"].startswith("How would you rate the help with ticket #1")
    assert replies[2]["text"] == ("Thank you for rating ticket #1 ⭐⭐⭐⭐⭐ (5/5)! What could we "
                                  "improve? Tell us in a message (optional; reply \"no\" to "
                                  "skip).")
    [row] = rating_rows(runtime)
    assert (row.score, row.agent, row.language) == (5, cli_tickets.LEAD, "en")


def test_a_ticket_without_a_conversation_records_the_request_as_not_sent(
        chat: ChatSession, runtime: Runtime, clock: FixedClock) -> None:
    say(chat, clock, "11-24T10:00", BILLING)
    with transaction(runtime.factory) as session:
        found = session.get(Ticket, 1)
        found.conversation_id = None  # e.g. a ticket imported from another desk
        ratings.request_rating(session, runtime.ctx.desk, found, clock.now())
    [row] = rating_rows(runtime)
    assert (row.request_status, row.not_sent_reason) == (
        "not_sent", "the ticket has no conversation to answer on")
    assert outbox(runtime, "rating_request") == []
