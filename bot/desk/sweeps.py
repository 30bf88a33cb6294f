"""The SLA sweep: act on tickets whose next deadline has passed, each action exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from bot.desk import notify, oncall, tickets
from bot.desk.deadlines import Desk, close_due, is_reminded, untouched_since
from bot.store.models import Ticket
from scheduler.sla import ladder_due, ladder_step

log = logging.getLogger(__name__)
SWEEP_BATCH = 200
Action = Callable[[Session, Desk, Ticket, datetime], None]


def due_tickets_query(now: datetime, limit: int, *columns: Any) -> Select[Any]:
    """The indexed selection of due tickets, locked; other workers skip them (SKIP LOCKED)."""
    return (select(*(columns or (Ticket,))).where(Ticket.next_deadline_at <= now)
            .order_by(Ticket.next_deadline_at).limit(limit)
            .with_for_update(skip_locked=True))


def claim_due_tickets(session: Session, now: datetime, limit: int = SWEEP_BATCH) -> list[Ticket]:
    return list(session.scalars(due_tickets_query(now, limit)))


def sweep(factory: sessionmaker[Session], desk: Desk, now: datetime) -> int:
    """Run every due action once; returns how many tickets were handled. Catches up backlog."""
    handled = 0
    while True:
        with factory() as session, session.begin():
            due = claim_due_tickets(session, now)
            for ticket in due:
                run_actions(session, desk, ticket, now)
        handled += len(due)
        if len(due) < SWEEP_BATCH:
            return handled


def run_actions(session: Session, desk: Desk, ticket: Ticket, now: datetime) -> None:
    for action in ACTIONS:
        action(session, desk, ticket, now)
    desk.refresh(ticket)
    if ticket.next_deadline_at is not None and ticket.next_deadline_at <= now:
        log.warning("ticket %s still due after the sweep; parking it", ticket.number)
        ticket.next_deadline_at = now + timedelta(minutes=1)


def warn_before(desk: Desk) -> timedelta:
    return timedelta(minutes=desk.config.escalation.warn_before_minutes)


def is_active(ticket: Ticket) -> bool:
    return ticket.status in ("open", "in_progress")


def first_response_warning(session: Session, desk: Desk, ticket: Ticket, now: datetime) -> None:
    due = ticket.first_response_due_at
    if (not is_active(ticket) or ticket.first_response_at or ticket.first_response_warned_at
            or due is None or now < due - warn_before(desk)):
        return
    ticket.first_response_warned_at = now
    if now < due:  # after a downtime the breach itself is what matters
        warn_assignee(session, desk, ticket, now, due, "first_response")


def resolution_warning(session: Session, desk: Desk, ticket: Ticket, now: datetime) -> None:
    due = ticket.resolution_due_at
    if (not is_active(ticket) or ticket.resolution_warned_at or due is None
            or now < due - warn_before(desk)):
        return
    ticket.resolution_warned_at = now
    if now < due:
        warn_assignee(session, desk, ticket, now, due, "resolution")


def warn_assignee(session: Session, desk: Desk, ticket: Ticket, now: datetime, due: datetime,
                  target: str) -> None:
    assignee = desk.config.find_agent(ticket.assignee or "")
    agents = [assignee] if assignee else notify.agents_at_level(desk.config, ticket.level)
    minutes = max(1, round((due - now).total_seconds() / 60))
    notify.notify(session, desk.config, ticket, agents, "agent_sla_warning", now,
                  minutes=minutes, target=target)
    tickets.record_event(session, ticket=ticket, actor="bot", action="sla_warning", at=now,
                         detail=target)


def first_response_breach(session: Session, desk: Desk, ticket: Ticket, now: datetime) -> None:
    due = ticket.first_response_due_at
    if (not is_active(ticket) or ticket.first_response_at or ticket.first_response_breached_at
            or due is None or now < due):
        return
    ticket.first_response_breached_at = now
    tickets.escalate(session, desk, ticket, "bot", now, "first-response SLA breached")


def resolution_breach(session: Session, desk: Desk, ticket: Ticket, now: datetime) -> None:
    due = ticket.resolution_due_at
    if not is_active(ticket) or ticket.resolution_breached_at or due is None or now < due:
        return
    ticket.resolution_breached_at = now
    tickets.escalate(session, desk, ticket, "bot", now, "resolution SLA breached")


def unanswered(session: Session, desk: Desk, ticket: Ticket, now: datetime) -> None:
    limit = timedelta(minutes=desk.config.escalation.unanswered_minutes)
    if (not is_active(ticket) or ticket.first_response_at or ticket.unanswered_escalated_at
            or now < ticket.created_at + limit):
        return
    ticket.unanswered_escalated_at = now
    tickets.escalate(session, desk, ticket, "bot", now, "no agent response for 24 h")


def priority_ladder(session: Session, desk: Desk, ticket: Ticket, now: datetime) -> None:
    step = ladder_step(desk.ladder, ticket.priority)
    if not is_active(ticket) or step is None:
        return
    if now < ladder_due(desk.calendar, step, untouched_since(ticket)):
        return
    tickets.set_priority(session, desk, ticket, step.to, "bot", now,
                         reason=f"no agent activity ({step.after_minutes} {step.clock} min)")
    notify.notify(session, desk.config, ticket, notify.agents_at_level(desk.config, ticket.level),
                  "agent_priority_raised", now)
    if step.to == "critical":
        notify.notify(session, desk.config, ticket, notify.supervisors(desk.config),
                      "agent_priority_raised", now)
        tickets.record_event(session, ticket=ticket, actor="bot", action="supervisors_notified",
                             at=now, detail="priority critical")


def on_call_pages(session: Session, desk: Desk, ticket: Ticket, now: datetime) -> None:
    if ticket.paged_at is None or ticket.page_acked_at is not None or ticket.status == "closed":
        return
    after = timedelta(minutes=desk.config.on_call.supervisor_after_minutes)
    supervisor_at = ticket.paged_at + after
    if ticket.supervisor_paged_at is None and now >= supervisor_at:
        oncall.page_supervisors(session, desk, ticket, now)
    if ticket.next_page_at is not None and now >= ticket.next_page_at:
        oncall.send_page(session, desk, ticket, now)


def waiting_reminder(session: Session, desk: Desk, ticket: Ticket, now: datetime) -> None:
    wait = timedelta(minutes=desk.config.escalation.waiting_reminder_minutes)
    if (ticket.status != "waiting_customer" or ticket.sla_paused_at is None
            or is_reminded(ticket) or now < ticket.sla_paused_at + wait):
        return
    ticket.reminder_sent_at = now
    notify.tell_customer(session, ticket, "waiting_reminder", now)
    tickets.record_event(session, ticket=ticket, actor="bot", action="reminder_sent", at=now)


def auto_close(session: Session, desk: Desk, ticket: Ticket, now: datetime) -> None:
    due = close_due(ticket, desk.config)
    if due is None or now < due:
        return
    reason = (f"rated {ticket.rating}/5, no reply since" if ticket.rating is not None
              else "resolved without confirmation")
    tickets.set_status(session, desk, ticket, "closed", "bot", now, reason=reason)
    notify.tell_customer(session, ticket, "auto_closed", now)


ACTIONS: tuple[Action, ...] = (
    on_call_pages, first_response_warning, first_response_breach, unanswered,
    resolution_warning, resolution_breach, priority_ladder, waiting_reminder, auto_close,
)
