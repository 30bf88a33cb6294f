"""Ticket records: create, append, reopen, escalate, change status; each change is an event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import CompoundSelect, Select, bindparam, select, union_all
from sqlalchemy.orm import Session

from bot.desk import notify, triage_learning
from bot.desk.deadlines import Desk
from bot.engine.triage import subject_from
from bot.store.deferred_updates import set_columns
from bot.store.models import OPEN_STATUSES, Contact, Message, Ticket, TicketEvent
from bot.store.persist import add_row, insert_now
from scheduler.business_hours import business_minutes_between

MAX_LEVEL = 4


def record_event(session: Session, *, actor: str, action: str, at: datetime,
                 ticket: Ticket | None = None, conversation_id: int | None = None,
                 before: object = None, after: object = None, detail: str | None = None) -> None:
    """Append one audit row: who did what, the value before and after, and when."""
    add_row(session, TicketEvent, {
        "ticket_id": ticket.id if ticket else None,
        "conversation_id": conversation_id if conversation_id else (
            ticket.conversation_id if ticket else None),
        "actor": actor, "action": action, "at": at, "detail": detail,
        "before": None if before is None else str(before),
        "after": None if after is None else str(after),
    })


def create_ticket(session: Session, desk: Desk, *, contact: Contact, channel: str,
                  conversation_id: int | None, text: str, category: str | None, priority: str,
                  language: str, actor: str, now: datetime, subject: str | None = None) -> Ticket:
    """A new open ticket; its subject is the one the customer gave (a mail's), else the
    first line of the text."""
    ticket = Ticket(
        contact_id=contact.id, conversation_id=conversation_id, channel=channel,
        subject=subject_from(subject or text), description=text, category=category,
        priority=priority, status="open", level=1, vip=bool(contact.vip), language=language,
        created_at=now, updated_at=now,
    )
    desk.refresh(ticket)   # before the INSERT: the due times go out with it, not in an UPDATE
    insert_now(session, ticket)
    ticket.number = ticket.id
    record_event(session, ticket=ticket, actor=actor, action="created", at=now, after="open",
                 detail=f"category={category or 'unknown'} priority={priority}")
    return ticket


def attach_message(session: Session, desk: Desk, ticket: Ticket, message: Message, actor: str,
                   now: datetime) -> None:
    """Link a customer message to the ticket; a ticket waiting on the customer becomes open."""
    set_columns(message, ticket_id=ticket.id)
    ticket.updated_at = now
    record_event(session, ticket=ticket, actor=actor, action="customer_message", at=now,
                 detail=f"message {message.id}")
    if ticket.status == "waiting_customer":
        set_status(session, desk, ticket, "open", actor, now, reason="customer replied")


def set_status(session: Session, desk: Desk, ticket: Ticket, status: str, actor: str,
               now: datetime, reason: str | None = None) -> None:
    before = ticket.status
    if before == status:
        return
    ticket.status = status
    ticket.updated_at = now
    if status == "resolved":
        ticket.resolved_at = now
        record_resolution_time(desk, ticket, now)
    elif status == "closed":
        ticket.closed_at = now
    record_event(session, ticket=ticket, actor=actor, action="status_changed", at=now,
                 before=before, after=status, detail=reason)
    desk.on_status_change(ticket, before, status, now)


def record_resolution_time(desk: Desk, ticket: Ticket, now: datetime) -> None:
    """Wall-clock and business minutes from creation to resolution."""
    ticket.resolution_minutes = (now - ticket.created_at).total_seconds() / 60
    ticket.resolution_business_minutes = business_minutes_between(desk.calendar,
                                                                   ticket.created_at, now)


def record_agent_response(session: Session, desk: Desk, ticket: Ticket, agent: str,
                          now: datetime) -> None:
    """An agent answered: the first time sets first response (wall and business minutes)."""
    ticket.last_agent_activity_at = now
    ticket.updated_at = now
    ticket.assignee = ticket.assignee or agent
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        ticket.first_response_minutes = (now - ticket.created_at).total_seconds() / 60
        ticket.first_response_business_minutes = business_minutes_between(
            desk.calendar, ticket.created_at, now)
        record_event(session, ticket=ticket, actor=f"agent:{agent}", action="first_response",
                     at=now, detail=f"{ticket.first_response_minutes:.1f} min")
    desk.refresh(ticket)


def set_priority(session: Session, desk: Desk, ticket: Ticket, priority: str, actor: str,
                 now: datetime, reason: str | None = None) -> None:
    before = ticket.priority
    if before == priority:
        return
    ticket.priority = priority
    ticket.priority_changed_at = now
    ticket.updated_at = now
    record_event(session, ticket=ticket, actor=actor, action="priority_changed", at=now,
                 before=before, after=priority, detail=reason)
    triage_learning.note_correction(session, ticket, actor, now)
    desk.refresh(ticket)


def set_category(session: Session, desk: Desk, ticket: Ticket, category: str, actor: str,
                 now: datetime) -> None:
    before = ticket.category
    ticket.category = category
    ticket.updated_at = now
    record_event(session, ticket=ticket, actor=actor, action="category_changed", at=now,
                 before=before, after=category)
    triage_learning.note_correction(session, ticket, actor, now)
    desk.refresh(ticket)


def escalate(session: Session, desk: Desk, ticket: Ticket, actor: str, now: datetime,
             reason: str) -> bool:
    """Raise the level by one and tell that level; at the top, tell the supervisors."""
    before = ticket.level
    raised = before < MAX_LEVEL
    ticket.level = min(MAX_LEVEL, before + 1)
    ticket.updated_at = now
    record_event(session, ticket=ticket, actor=actor, action="escalated", at=now,
                 before=before, after=ticket.level, detail=reason)
    agents = (notify.agents_at_level(desk.config, ticket.level) if raised
              else notify.supervisors(desk.config))
    notify.notify(session, desk.config, ticket, agents, "agent_escalated", now, reason=reason)
    return raised


def reopen(session: Session, desk: Desk, ticket: Ticket, actor: str, now: datetime) -> None:
    """Back to open from resolved; reopened more than the limit escalates."""
    ticket.reopen_count += 1
    ticket.resolved_at = None
    set_status(session, desk, ticket, "open", actor, now, reason=f"reopen #{ticket.reopen_count}")
    if ticket.reopen_count > desk.config.escalation.reopen_limit:
        escalate(session, desk, ticket, "bot", now, f"reopened {ticket.reopen_count} times")


def find_open_ticket(session: Session, contact_id: int,
                     prefer: int | None = None) -> Ticket | None:
    """The contact's open ticket: number `prefer` if it is one of them, else the latest."""
    return first_ticket(session, OPEN_TICKET, contact_id, prefer)


def find_latest_ticket(session: Session, contact_id: int,
                       prefer: int | None = None) -> Ticket | None:
    return first_ticket(session, LATEST_TICKET, contact_id, prefer)


class TicketLookup(NamedTuple):
    """A contact's tickets, latest first (`latest`), and ticket :prefer among them
    (`preferred`). Built once at import: every message runs these, and building a statement
    costs more than running it. Both read one row along an index (`ix_tickets_contact_latest`,
    `ix_tickets_contact_status`, the unique number): a customer with thousands of tickets
    costs what one with a single ticket does."""

    latest: Select[tuple[Ticket]]
    preferred: Select[tuple[Ticket]]


def union_of(parts: Sequence[Select[Any]]) -> Select[Any] | CompoundSelect:
    """Every part's rows in one statement. Each part is wrapped as a subquery so its ORDER BY
    and LIMIT hold (SQLite rejects them directly inside a compound SELECT)."""
    wrapped = [select(part.subquery()) for part in parts]
    return wrapped[0] if len(wrapped) == 1 else union_all(*wrapped)


def ticket_lookup(statuses: Sequence[str] = ()) -> TicketLookup:
    """With `statuses`, only tickets in one of them: the latest of each status is read along
    ix_tickets_contact_status (a scan of the contact's tickets newest first would walk every
    closed one when none is open)."""
    mine = Ticket.contact_id == bindparam("contact_id")
    newest = (Ticket.updated_at.desc(), Ticket.id.desc())
    preferred = select(Ticket).where(mine, Ticket.number == bindparam("prefer"))
    if not statuses:
        return TicketLookup(select(Ticket).where(mine).order_by(*newest).limit(1), preferred)
    ids = union_of([select(Ticket.id).where(mine, Ticket.status == status)
                    .order_by(*newest).limit(1) for status in statuses])
    return TicketLookup(select(Ticket).where(Ticket.id.in_(ids)).order_by(*newest).limit(1),
                        preferred.where(Ticket.status.in_(statuses)))


def first_ticket(session: Session, lookup: TicketLookup, contact_id: int,
                 prefer: int | None) -> Ticket | None:
    if prefer is not None:
        found = session.scalars(lookup.preferred,
                                {"contact_id": contact_id, "prefer": prefer}).first()
        if found is not None:
            return found
    return session.scalars(lookup.latest, {"contact_id": contact_id}).first()


OPEN_TICKET = ticket_lookup(OPEN_STATUSES)
LATEST_TICKET = ticket_lookup()


def find_contact_ticket(session: Session, contact_id: int, number: int) -> Ticket | None:
    stmt = select(Ticket).where(Ticket.contact_id == contact_id, Ticket.number == number)
    return session.scalars(stmt).first()


def find_ticket(session: Session, ticket_id: int | None) -> Ticket | None:
    return session.get(Ticket, ticket_id) if ticket_id is not None else None
