"""Telling the customer that their ticket changed: each notice switchable (`notices`), in the
ticket's language, on its conversation's channel; non-urgent ones wait out the quiet hours.
(The WhatsApp 24 h window is the channel's: outside it a notice is held, or sent as a template.)

An agent's answer is relayed as written: it is the "an agent answered" message, and no notice
repeats it. A status an agent sets is told only when the customer has not heard it already
since their last message (as Zendesk and Freshdesk tell a requester of public comments, never
of private notes): "waiting on you" unless an agent's answer (which then is the question) went
out; "in progress" unless an answer or an assigned / in-progress notice did.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.desk import notify
from bot.store.models import Message, OutboxItem, Ticket
from scheduler.quiet_hours import parse_range, send_time

SWITCHES = {"ticket_assigned": "assigned", "ticket_resolved": "resolved",
            "waiting_reminder": "reminder", "ticket_waiting_on_you": "info_requested",
            "ticket_in_progress": "status_changed"}
RELAY_KIND = "agent_reply"   # the outbox kind of an agent's answer relayed to the customer
# status set by an agent → (notice, what the customer may have heard since they last wrote
# that already says it)
STATUS_NOTICES = {
    "waiting_customer": ("ticket_waiting_on_you", {RELAY_KIND}),
    "in_progress": ("ticket_in_progress",
                    {RELAY_KIND, "ticket_assigned", "ticket_in_progress"}),
}
SOMEONE = {"es": "un agente", "en": "an agent"}


def is_urgent(ticket: Ticket) -> bool:
    return ticket.priority == "critical" or ticket.category == "emergency"


def tell(session: Session, config: AtiendeConfig, ticket: Ticket, key: str, now: datetime,
         **values: object) -> bool:
    """Queue notice `key` for the customer unless it is switched off; True when queued."""
    switch = SWITCHES.get(key)
    if switch is not None and not getattr(config.notices, switch):
        return False
    quiet = config.notices.quiet_hours
    zone = ZoneInfo(config.business_hours.timezone)
    at = now if is_urgent(ticket) else send_time(now, zone, parse_range(quiet) if quiet else None)
    notify.tell_customer(session, ticket, key, now, send_at=at, **values)
    return True


def status_set(session: Session, config: AtiendeConfig, ticket: Ticket, agent: str,
               now: datetime) -> bool:
    """After an agent set `ticket.status`: tell the customer unless they know it already."""
    notice = STATUS_NOTICES.get(ticket.status)
    if notice is None:
        return False
    key, already_told = notice
    if heard_since_last_message(session, ticket, already_told):
        return False
    found = config.find_agent(agent)
    name = first_name(found.name) if found else SOMEONE.get(ticket.language, SOMEONE["es"])
    return tell(session, config, ticket, key, now, agent=name)


def heard_since_last_message(session: Session, ticket: Ticket, kinds: set[str]) -> bool:
    """Whether a message of one of `kinds` was queued to the customer on this ticket since
    their last message on it."""
    last_in = session.scalar(select(func.max(Message.created_at)).where(
        Message.direction == "in", Message.ticket_id == ticket.id,
        Message.contact_id == ticket.contact_id))
    stmt = select(OutboxItem.payload).where(OutboxItem.ticket_id == ticket.id)
    if last_in is not None:
        stmt = stmt.where(OutboxItem.created_at >= last_in)
    return any(payload.get("kind") in kinds for payload in session.scalars(stmt))


def first_name(name: str) -> str:
    return (name.split() or [name])[0]
