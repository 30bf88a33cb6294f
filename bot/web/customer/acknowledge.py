"""The "I opened ticket #N" message a confirmed web ticket gets, as on any channel: by mail
(its conversation's channel), with when an agent will answer."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.desk import notify
from bot.engine.replies import CATEGORY_NAMES, PRIORITY_NAMES, name_of, render
from bot.engine.reply_times import render_when
from bot.store.models import Ticket


def promise(config: AtiendeConfig, ticket: Ticket, now: datetime) -> str:
    """The on-call page, or the first-response due time in the desk's time zone."""
    lang = ticket.language
    if ticket.paged_at is not None:
        return render("promise_on_call", lang)
    if ticket.first_response_due_at is None:
        return ""
    zone = ZoneInfo(config.business_hours.timezone)
    label = config.bot.timezone_label.get(lang) or config.business_hours.timezone
    return render("promise_due", lang, zone=label, when=render_when(
        ticket.first_response_due_at.astimezone(zone), now.astimezone(zone), lang))


def acknowledge(session: Session, config: AtiendeConfig, ticket: Ticket, now: datetime) -> None:
    lang = ticket.language
    notify.tell_customer(session, ticket, "ticket_created", now,
                         category=name_of(CATEGORY_NAMES, ticket.category, lang)
                         if ticket.category else "—",
                         priority=name_of(PRIORITY_NAMES, ticket.priority, lang),
                         promise=promise(config, ticket, now))
