"""VIP emergencies: page the on-call agent at once, re-page until #ack, then the supervisors."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.config.root import AgentConfig, AtiendeConfig
from bot.desk import notify
from bot.desk.deadlines import Desk
from bot.desk.tickets import record_event, set_priority
from bot.store.models import Ticket
from kb.normalize import normalize_text


def on_call_agent(config: AtiendeConfig, now: datetime) -> AgentConfig | None:
    """This week's agent in the rotation (weeks counted from `on_call.rotation_start`)."""
    rotation = [config.find_agent(email) for email in config.on_call.rotation]
    agents = [agent for agent in rotation if agent is not None]
    if not agents:
        return notify.supervisors(config)[0] if notify.supervisors(config) else None
    weeks = (now.date() - config.on_call.rotation_start).days // 7
    return agents[weeks % len(agents)]


def is_vip_emergency(ticket: Ticket, text: str, config: AtiendeConfig) -> bool:
    if not ticket.vip:
        return False
    if ticket.category == "emergency" or ticket.priority == "critical":
        return True
    norm = f" {normalize_text(text)} "
    return any(f" {normalize_text(word)} " in norm for word in config.on_call.emergency_words)


def start_paging(session: Session, desk: Desk, ticket: Ticket, now: datetime) -> None:
    """Critical priority, wall-clock SLA, and the first page to the on-call agent."""
    set_priority(session, desk, ticket, "critical", "bot", now, reason="VIP emergency")
    agent = on_call_agent(desk.config, now)
    ticket.on_call_agent = agent.email if agent else None
    ticket.paged_at = now
    ticket.page_count = 0
    send_page(session, desk, ticket, now)


def send_page(session: Session, desk: Desk, ticket: Ticket, now: datetime) -> None:
    agent = desk.config.find_agent(ticket.on_call_agent or "")
    if agent is not None:
        notify.page(session, desk.config, ticket, [agent], "page_on_call", now)
    ticket.page_count += 1
    ticket.next_page_at = now + timedelta(minutes=desk.config.on_call.repage_minutes)
    record_event(session, ticket=ticket, actor="bot", action="on_call_paged", at=now,
                 after=ticket.on_call_agent, detail=f"page {ticket.page_count}")
    desk.refresh(ticket)


def page_supervisors(session: Session, desk: Desk, ticket: Ticket, now: datetime) -> None:
    notify.page(session, desk.config, ticket, notify.supervisors(desk.config),
                "page_supervisor", now)
    ticket.supervisor_paged_at = now
    record_event(session, ticket=ticket, actor="bot", action="supervisor_paged", at=now,
                 detail="on-call page not acknowledged")
    desk.refresh(ticket)


def acknowledge(session: Session, desk: Desk, ticket: Ticket, agent: str,
                now: datetime) -> bool:
    """#ack from an agent: paging stops and the agent takes the ticket. False if not paged."""
    if ticket.paged_at is None or ticket.page_acked_at is not None:
        return False
    ticket.page_acked_at = now
    ticket.next_page_at = None
    ticket.assignee = ticket.assignee or agent
    ticket.last_agent_activity_at = now
    record_event(session, ticket=ticket, actor=f"agent:{agent}", action="page_acknowledged",
                 at=now)
    desk.refresh(ticket)
    return True
