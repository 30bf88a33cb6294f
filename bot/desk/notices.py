"""Telling the customer that their ticket changed: each notice switchable (`notices`), in the
ticket's language, on its conversation's channel; non-urgent ones wait out the quiet hours.
(The WhatsApp 24 h window is the channel's: outside it a notice is held, or sent as a template.)"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.desk import notify
from bot.store.models import Ticket
from scheduler.quiet_hours import parse_range, send_time

SWITCHES = {"ticket_assigned": "assigned", "ticket_resolved": "resolved",
            "waiting_reminder": "reminder"}


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


def first_name(name: str) -> str:
    return (name.split() or [name])[0]
