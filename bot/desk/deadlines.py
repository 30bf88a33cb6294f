"""Keep a ticket's SLA due times and `next_deadline_at` right after every change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from bot.config.root import AtiendeConfig
from bot.config.scheduling import ladder_rules, sla_rules
from bot.store.models import OPEN_STATUSES, Ticket
from scheduler.business_hours import BusinessCalendar
from scheduler.sla import (
    LadderRung,
    SlaClock,
    SlaRules,
    first_response_due,
    ladder_due,
    ladder_step,
    resolution_due,
    sla_clock,
)


@dataclass(frozen=True)
class Desk:
    """The desk's calendar and rules: what status changes need to keep SLAs right."""

    calendar: BusinessCalendar
    config: AtiendeConfig

    @cached_property
    def sla(self) -> SlaRules:
        """The SLA tables as the scheduler's plain values."""
        return sla_rules(self.config.sla)

    @cached_property
    def ladder(self) -> tuple[LadderRung, ...]:
        """The priority ladder as the scheduler's plain values."""
        return ladder_rules(self.config.escalation)

    def on_status_change(self, ticket: Ticket, before: str, after: str, now: datetime) -> None:
        if after == "waiting_customer":
            pause(ticket, now)
        elif before == "waiting_customer":
            resume(ticket, self, now)
        self.refresh(ticket)

    def refresh(self, ticket: Ticket) -> None:
        refresh_deadlines(ticket, self)


def ticket_clock(ticket: Ticket, desk: Desk) -> SlaClock:
    return sla_clock(desk.calendar, desk.sla, ticket.vip, ticket.priority, ticket.category)


def refresh_deadlines(ticket: Ticket, desk: Desk) -> None:
    """Recompute the due times from creation (plus paused time) and the next pending event."""
    clock = ticket_clock(ticket, desk)
    ticket.business_time = clock.business
    start = clock.add(ticket.created_at, ticket.sla_paused_minutes or 0.0)
    ticket.first_response_due_at = first_response_due(clock, desk.sla, start, ticket.vip,
                                                      ticket.priority)
    ticket.resolution_due_at = resolution_due(clock, desk.sla, start, ticket.vip,
                                              ticket.priority)
    ticket.next_deadline_at = min(pending_events(ticket, desk), default=None)


def pending_events(ticket: Ticket, desk: Desk) -> list[datetime]:
    config = desk.config
    if ticket.status == "closed":
        return []
    if ticket.status == "resolved":
        due = close_due(ticket, config)
        return [due] if due else []
    events = page_events(ticket, config)
    if ticket.status == "waiting_customer":
        return events + reminder_events(ticket, config)
    return events + response_events(ticket, config) + ladder_events(ticket, desk)


def close_due(ticket: Ticket, config: AtiendeConfig) -> datetime | None:
    """When a resolved ticket closes by itself: after resolution when unrated, after a good
    score when the customer stays silent, never after a low score (a supervisor decides)."""
    if ticket.status != "resolved" or ticket.resolved_at is None:
        return None
    rules = config.ratings
    if ticket.rating is not None and ticket.rated_at is not None:
        if ticket.rating <= rules.low_score:
            return None
        if ticket.rating >= rules.close_score:
            return ticket.rated_at + timedelta(minutes=rules.close_after_minutes)
    return ticket.resolved_at + timedelta(minutes=config.escalation.auto_close_minutes)


def response_events(ticket: Ticket, config: AtiendeConfig) -> list[datetime]:
    warn = timedelta(minutes=config.escalation.warn_before_minutes)
    events: list[datetime] = []
    if ticket.first_response_at is None and ticket.first_response_due_at:
        events += pending(ticket.first_response_warned_at, ticket.first_response_due_at - warn)
        events += pending(ticket.first_response_breached_at, ticket.first_response_due_at)
        unanswered = ticket.created_at + timedelta(minutes=config.escalation.unanswered_minutes)
        events += pending(ticket.unanswered_escalated_at, unanswered)
    if ticket.resolution_due_at:
        events += pending(ticket.resolution_warned_at, ticket.resolution_due_at - warn)
        events += pending(ticket.resolution_breached_at, ticket.resolution_due_at)
    return events


def ladder_events(ticket: Ticket, desk: Desk) -> list[datetime]:
    step = ladder_step(desk.ladder, ticket.priority)
    if step is None:
        return []
    return [ladder_due(desk.calendar, step, untouched_since(ticket))]


def untouched_since(ticket: Ticket) -> datetime:
    """The last time an agent acted on the ticket or its priority changed."""
    moments = [ticket.created_at, ticket.priority_changed_at, ticket.last_agent_activity_at]
    return max(moment for moment in moments if moment is not None)


def page_events(ticket: Ticket, config: AtiendeConfig) -> list[datetime]:
    if ticket.paged_at is None or ticket.page_acked_at is not None:
        return []
    supervisor_at = ticket.paged_at + timedelta(minutes=config.on_call.supervisor_after_minutes)
    events = pending(ticket.supervisor_paged_at, supervisor_at)
    return events + ([ticket.next_page_at] if ticket.next_page_at else [])


def reminder_events(ticket: Ticket, config: AtiendeConfig) -> list[datetime]:
    if ticket.sla_paused_at is None or is_reminded(ticket):
        return []
    return [ticket.sla_paused_at + timedelta(minutes=config.escalation.waiting_reminder_minutes)]


def is_reminded(ticket: Ticket) -> bool:
    """A reminder was already sent for the current wait on the customer."""
    return (ticket.reminder_sent_at is not None and ticket.sla_paused_at is not None
            and ticket.reminder_sent_at >= ticket.sla_paused_at)


def pending(done_at: datetime | None, due: datetime) -> list[datetime]:
    return [] if done_at is not None else [due]


def pause(ticket: Ticket, now: datetime) -> None:
    """The ticket waits on the customer: its SLA clock stops."""
    if ticket.sla_paused_at is None:
        ticket.sla_paused_at = now


def resume(ticket: Ticket, desk: Desk, now: datetime) -> None:
    """The customer answered: add the paused time to the SLA budget."""
    if ticket.sla_paused_at is None:
        return
    clock = ticket_clock(ticket, desk)
    ticket.sla_paused_minutes = (ticket.sla_paused_minutes or 0.0) + clock.minutes_between(
        ticket.sla_paused_at, now)
    ticket.sla_paused_at = None


def is_active(ticket: Ticket) -> bool:
    return ticket.status in OPEN_STATUSES
