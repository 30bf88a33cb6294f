"""Business hours, SLAs, escalation, VIP paging, reminders and auto-close, on an injected clock."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from bot.app import Runtime
from bot.cli.chat import ChatSession
from bot.desk import tickets
from bot.desk.agent_commands import AgentCommand, apply_command
from bot.desk.sweeps import sweep
from bot.store.db import transaction
from bot.store.models import OutboxItem, Ticket
from scheduler.business_hours import business_minutes_between
from scheduler.clock import FixedClock
from tests.conftest import BOGOTA, REPO
from tests.transcript import actions, send, ticket

ATIENDE = str(REPO / ".venv" / "bin" / "atiende")
OUTAGE = "Urgente: el sistema está caído y no podemos vender en ninguna sucursal"
BILLING = ("Nos debitaron dos veces la mensualidad y necesitamos la devolución del dinero, "
           "ya revisamos el extracto")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BOGOTA)


def cli_json(*args: str) -> dict:
    done = subprocess.run([ATIENDE, *args, "--json", "--config", str(REPO / "config.yaml")],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def outbox_rows(runtime: Runtime, kind: str) -> list[OutboxItem]:
    with runtime.factory() as session:
        stmt = select(OutboxItem).order_by(OutboxItem.id)
        return [row for row in session.scalars(stmt) if row.payload.get("kind") == kind]


def run_sweep(runtime: Runtime, clock: FixedClock, when: datetime) -> None:
    clock.set(when)
    sweep(runtime.factory, runtime.ctx.desk, when)


def test_sla_due_cli_friday_afternoon_and_monday_holiday() -> None:
    normal = cli_json("sla", "due", "--priority", "critical", "--at", "2026-11-20T13:55-05:00")
    assert normal == {"first_response_due_at": "2026-11-23T09:55:00-05:00",
                      "business_time": True}
    # Monday 2026-11-16 is a Colombian holiday (Independencia de Cartagena, observed)
    holiday = cli_json("sla", "due", "--priority", "critical", "--at", "2026-11-13T13:55-05:00")
    assert holiday["first_response_due_at"] == "2026-11-17T09:55:00-05:00"
    vip = cli_json("sla", "due", "--priority", "critical", "--vip", "--at",
                   "2026-11-28T03:00-05:00")
    assert vip == {"first_response_due_at": "2026-11-28T03:30:00-05:00", "business_time": False}


def test_hours_status_cli_on_saturday_night() -> None:
    status = cli_json("hours", "status", "--at", "2026-11-28T03:00-05:00")
    assert status == {"open": False, "next_opening": "2026-11-30T08:00:00-05:00",
                      "next_closing": "2026-11-30T17:00:00-05:00",
                      "timezone": "America/Bogota"}


def test_friday_critical_ticket_promises_monday(chat: ChatSession, runtime: Runtime,
                                                clock: FixedClock) -> None:
    clock.set(at("2026-11-20T13:55"))
    text = send(chat, "Se cayó todo el sistema, perdimos datos de las ventas de hoy")
    assert "prioridad: crítica" in text
    assert "Un agente te responderá a más tardar el lunes a las 9:55 (hora de Colombia)." in text
    assert "Nuestro equipo responde" not in text  # open now: no out-of-hours notice


def test_out_of_hours_notice_once_a_day_and_not_after_kb_answers(chat: ChatSession,
                                                                  clock: FixedClock) -> None:
    clock.set(at("2026-11-28T03:00"))
    assert "Nuestro equipo responde" not in send(chat, "¿Cuál es el horario de atención?")
    chat.send("no")  # not helpful → ticket, with the notice
    clock.set(at("2026-11-28T03:05"))
    second = send(chat, "Les adjunto el comprobante de la transferencia del banco")
    assert "Agregué tu mensaje al ticket #1" in second and "Nuestro equipo" not in second
    clock.set(at("2026-11-29T10:00"))
    third = send(chat, "Sigo esperando una respuesta sobre el comprobante enviado")
    assert ("Nuestro equipo responde de lunes a jueves de 8:00 a 17:00 y viernes de 8:00 a "
            "14:00 (hora de Colombia). Te responderemos mañana a las 8:00.") in third


def test_out_of_hours_notice_text_on_saturday(chat: ChatSession, clock: FixedClock) -> None:
    clock.set(at("2026-11-28T03:00"))
    replies = [reply["text"] for reply in chat.send(BILLING)["replies"]]
    assert replies[0] == ("Nuestro equipo responde de lunes a jueves de 8:00 a 17:00 y viernes "
                          "de 8:00 a 14:00 (hora de Colombia). Te responderemos el lunes a las "
                          "8:00.")
    assert "a más tardar el lunes a las 16:00" in replies[1]  # medium: 8 business hours


def test_vip_emergency_at_3am_pages_on_call_then_supervisor(runtime: Runtime,
                                                            clock: FixedClock) -> None:
    clock.set(at("2026-11-28T03:00"))
    chat = ChatSession(runtime, "console:vip", "Valentina")
    chat.mark_vip()
    text = send(chat, OUTAGE)
    assert "ya avisamos al agente de guardia" in text and "Nuestro equipo" not in text
    pages = outbox_rows(runtime, "page")
    assert [(p.channel, p.recipient) for p in pages] == [("email", "ana@example.com")]
    assert "EMERGENCIA VIP [#1]" in pages[0].payload["text"]
    assert ticket(runtime, 1).first_response_due_at == at("2026-11-28T03:30")
    run_sweep(runtime, clock, at("2026-11-28T03:14"))
    assert len(outbox_rows(runtime, "page")) == 1
    run_sweep(runtime, clock, at("2026-11-28T03:15"))
    assert len(outbox_rows(runtime, "page")) == 2  # re-paged after 15 min
    run_sweep(runtime, clock, at("2026-11-28T03:30"))
    recipients = [p.recipient for p in outbox_rows(runtime, "page")]
    assert recipients.count("luis@example.com") == 1  # the supervisor, once
    run_sweep(runtime, clock, at("2026-11-28T03:31"))
    assert [p.recipient for p in outbox_rows(runtime, "page")].count("luis@example.com") == 1
    assert actions(runtime, 1).count("supervisor_paged") == 1


def test_acknowledged_page_stops_repaging(runtime: Runtime, clock: FixedClock) -> None:
    clock.set(at("2026-11-28T03:00"))
    chat = ChatSession(runtime, "console:vip", "Valentina")
    chat.mark_vip()
    chat.send(OUTAGE)
    with transaction(runtime.factory) as session:
        found = session.scalars(select(Ticket)).one()
        apply_command(session, runtime.ctx.desk, found, "ana@example.com",
                      AgentCommand("ack", "llegando en 10 min"), at("2026-11-28T03:05"))
    run_sweep(runtime, clock, at("2026-11-28T04:00"))
    assert len(outbox_rows(runtime, "page")) == 1
    assert ticket(runtime, 1).assignee == "ana@example.com"
    assert "note" in actions(runtime, 1)


def test_medium_ticket_untouched_for_8_business_hours_becomes_high(
        chat: ChatSession, runtime: Runtime, clock: FixedClock) -> None:
    clock.set(at("2026-11-24T10:00"))  # Tuesday
    chat.send(BILLING)
    assert ticket(runtime, 1).next_deadline_at == at("2026-11-25T08:45")  # warning first
    run_sweep(runtime, clock, at("2026-11-25T08:45"))
    assert actions(runtime, 1)[-1] == "sla_warning"
    warnings = [row for row in outbox_rows(runtime, "agent_notice")
                if "Quedan 15 minutos para incumplir" in row.payload["text"]]
    assert [row.recipient for row in warnings] == ["ana@example.com"]
    run_sweep(runtime, clock, at("2026-11-25T08:59"))
    assert ticket(runtime, 1).priority == "medium"
    run_sweep(runtime, clock, at("2026-11-25T09:00"))  # 8 business hours later
    raised = ticket(runtime, 1)
    assert (raised.priority, raised.level) == ("high", 2)
    run_sweep(runtime, clock, at("2026-11-25T09:00"))
    assert actions(runtime, 1).count("priority_changed") == 1
    run_sweep(runtime, clock, at("2026-11-25T11:00"))  # high → critical after 2 more hours
    assert ticket(runtime, 1).priority == "critical"
    assert "supervisors_notified" in actions(runtime, 1)


def test_downtime_catch_up_acts_once(chat: ChatSession, runtime: Runtime,
                                     clock: FixedClock) -> None:
    clock.set(at("2026-11-24T10:00"))
    chat.send(BILLING)
    run_sweep(runtime, clock, at("2026-11-26T16:00"))  # the server was down for two days
    trail = actions(runtime, 1)
    assert trail.count("priority_changed") == 1 and trail.count("sla_warning") == 0
    run_sweep(runtime, clock, at("2026-11-26T16:00"))
    assert actions(runtime, 1) == trail


def set_status(runtime: Runtime, number: int, status: str, when: datetime) -> None:
    with transaction(runtime.factory) as session:
        found = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        tickets.set_status(session, runtime.ctx.desk, found, status, "agent:ana@example.com",
                           when)


def test_waiting_on_customer_reminder_fires_once(chat: ChatSession, runtime: Runtime,
                                                 clock: FixedClock) -> None:
    clock.set(at("2026-11-24T10:00"))
    chat.send(BILLING)
    set_status(runtime, 1, "waiting_customer", at("2026-11-24T11:00"))
    run_sweep(runtime, clock, at("2026-11-26T10:59"))
    assert outbox_rows(runtime, "waiting_reminder") == []
    run_sweep(runtime, clock, at("2026-11-26T11:00"))
    run_sweep(runtime, clock, at("2026-11-27T11:00"))
    reminders = outbox_rows(runtime, "waiting_reminder")
    assert len(reminders) == 1 and reminders[0].recipient == "console:ana"
    assert "seguimos esperando tu respuesta en el ticket #1" in reminders[0].payload["text"]


def test_resolved_ticket_closes_after_48_hours_once(chat: ChatSession, runtime: Runtime,
                                                    clock: FixedClock) -> None:
    clock.set(at("2026-11-24T10:00"))
    chat.send(BILLING)
    set_status(runtime, 1, "resolved", at("2026-11-24T12:00"))
    run_sweep(runtime, clock, at("2026-11-26T11:59"))
    assert ticket(runtime, 1).status == "resolved"
    run_sweep(runtime, clock, at("2026-11-26T12:00"))
    run_sweep(runtime, clock, at("2026-11-27T12:00"))
    assert ticket(runtime, 1).status == "closed"
    assert len(outbox_rows(runtime, "auto_closed")) == 1


def test_waiting_on_customer_pauses_the_resolution_clock(chat: ChatSession, runtime: Runtime,
                                                         clock: FixedClock) -> None:
    clock.set(at("2026-11-24T10:00"))
    chat.send(BILLING)
    due_before = ticket(runtime, 1).resolution_due_at
    set_status(runtime, 1, "waiting_customer", at("2026-11-24T11:00"))
    clock.set(at("2026-11-24T13:00"))  # two business hours later the customer answers
    chat.send("Ya les envié el comprobante por correo, quedo atenta")
    resumed = ticket(runtime, 1)
    assert resumed.status == "open"
    calendar = runtime.ctx.calendar
    assert business_minutes_between(calendar, due_before, resumed.resolution_due_at) == 120


def test_first_response_is_recorded_in_wall_and_business_minutes(
        chat: ChatSession, runtime: Runtime, clock: FixedClock) -> None:
    clock.set(at("2026-11-27T13:00"))  # Friday
    chat.send(BILLING)
    with transaction(runtime.factory) as session:
        found = session.scalars(select(Ticket)).one()
        tickets.record_agent_response(session, runtime.ctx.desk, found, "ana@example.com",
                                      at("2026-11-30T09:00"))
    answered = ticket(runtime, 1)
    assert answered.first_response_minutes == (3 * 24 - 4) * 60  # Fri 13:00 → Mon 09:00
    assert answered.first_response_business_minutes == 120  # Fri 13–14 + Mon 8–9


def test_sla_sweep_module_path_is_ours() -> None:
    assert Path(sweep.__code__.co_filename).resolve().is_relative_to(REPO)


def test_on_call_agent_acknowledges_from_a_chat(config, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    from bot.app import build_runtime
    from bot.engine.pipeline import receive
    from channels.base import InboundMessage

    agents = [agent.model_copy(update={"whatsapp": "whatsapp:+573000000001"})
              if agent.email == "ana@example.com" else agent for agent in config.agents]
    runtime = build_runtime(config.model_copy(update={"agents": agents}), clock)
    clock.set(at("2026-11-28T03:00"))
    vip = ChatSession(runtime, "console:vip", "Valentina")
    vip.mark_vip()
    vip.send(OUTAGE)
    page = outbox_rows(runtime, "page")[0]
    assert (page.channel, page.recipient) == ("email", "ana@example.com")
    assert page.payload["buttons"] == ["#ack 1"]
    clock.set(at("2026-11-28T03:04"))
    result = receive(runtime.factory, runtime.ctx, InboundMessage(
        channel="whatsapp", provider_message_id="SMack1", sender="whatsapp:+573000000001",
        text="#ack 1", received_at=clock.now()))
    assert result is not None and result.ticket_number == 1
    acked = ticket(runtime, 1)
    assert acked.page_acked_at == at("2026-11-28T03:04") and acked.assignee == "ana@example.com"
    with runtime.factory() as session:
        confirmation = session.scalars(select(OutboxItem).where(
            OutboxItem.recipient == "whatsapp:+573000000001")).one()
    assert confirmation.payload["text"].startswith("✓ #ack → ticket #1")
    run_sweep(runtime, clock, at("2026-11-28T04:00"))
    assert len(outbox_rows(runtime, "page")) == 1
