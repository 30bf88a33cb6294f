"""One ticket's conversation for the inbox: messages in and out, notes and events, the contact."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Text, cast, or_, select
from sqlalchemy.orm import Session

from bot.store.models import Contact, ContactIdentity, Conversation, Message, OutboxItem, Ticket
from bot.store.models import TicketEvent as E

AGENT_ONLY_KINDS = ("agent_notice", "page", "agent_invite")
HIDDEN_ACTIONS = ("customer_message", "agent_reply")   # shown as the messages themselves


@dataclass
class Entry:
    """One line of the thread: kind is in | bot | agent | note | event."""

    kind: str
    at: datetime
    text: str
    who: str = ""
    detail: str = ""
    channel: str = ""
    attachments: list[Any] = field(default_factory=list)
    order: int = 0
    when: str = ""


def find_ticket(session: Session, number: int) -> Ticket | None:
    return session.scalars(select(Ticket).where(Ticket.number == number)).first()


def thread(session: Session, ticket: Ticket, zone: ZoneInfo) -> list[Entry]:
    """Everything that happened on the ticket and its conversation, oldest first; each entry's
    time as the desk's local 'YYYY-MM-DD HH:MM'."""
    entries = [*inbound(session, ticket), *outbound(session, ticket), *events(session, ticket)]
    entries.sort(key=lambda e: (e.at, e.order))
    for entry in entries:
        entry.when = entry.at.astimezone(zone).isoformat(" ", "minutes")[:16]
    return entries


def same_thread(ticket_column: Any, conversation_column: Any, ticket: Ticket) -> Any:
    if ticket.conversation_id is None:
        return ticket_column == ticket.id
    return or_(ticket_column == ticket.id, conversation_column == ticket.conversation_id)


def inbound(session: Session, ticket: Ticket) -> list[Entry]:
    """The customer's messages; attachments come as JSON text, decoded only when there are
    some (most messages have none, and decoding 500 empty lists cost as much as the query)."""
    stmt = (select(Message.id, Message.created_at, Message.text, Message.sender, Message.channel,
                   cast(Message.attachments, Text))
            .where(Message.direction == "in",
                   same_thread(Message.ticket_id, Message.conversation_id, ticket)))
    return [Entry("in", at, text, who=sender, channel=channel, attachments=decoded(raw),
                  order=row_id * 3)
            for row_id, at, text, sender, channel, raw in session.execute(stmt)]


def decoded(raw: str | None) -> list[Any]:
    if not raw or raw in ("[]", "null"):
        return []
    found = json.loads(raw)
    return found if isinstance(found, list) else []


def outbound(session: Session, ticket: Ticket) -> list[Entry]:
    stmt = (select(OutboxItem.id, OutboxItem.created_at, OutboxItem.payload,
                   OutboxItem.channel, OutboxItem.status)
            .where(same_thread(OutboxItem.ticket_id, OutboxItem.conversation_id, ticket)))
    found = []
    for row_id, at, payload, channel, status in session.execute(stmt):
        kind = payload.get("kind", "reply")
        if kind in AGENT_ONLY_KINDS:
            continue
        found.append(Entry("agent" if kind == "agent_reply" else "bot", at,
                           payload.get("text", ""), detail=status, channel=channel,
                           order=row_id * 3 + 1))
    return found


def events(session: Session, ticket: Ticket) -> list[Entry]:
    stmt = (select(E.id, E.at, E.actor, E.action, E.before, E.after, E.detail)
            .where(same_thread(E.ticket_id, E.conversation_id, ticket),
                   E.action.not_in(HIDDEN_ACTIONS)))
    found = []
    for row_id, at, actor, action, before, after, detail in session.execute(stmt):
        if action == "note":
            found.append(Entry("note", at, detail or "", who=actor, order=row_id * 3 + 2))
            continue
        change = f"{before or '—'} → {after or '—'}" if before or after else ""
        found.append(Entry("event", at, action, who=actor, detail=" · ".join(
            part for part in (change, detail or "") if part), order=row_id * 3 + 2))
    return found


def contact_card(session: Session, ticket: Ticket) -> dict[str, Any]:
    """The customer: name, addresses, VIP, company and their other tickets."""
    contact = session.get(Contact, ticket.contact_id)
    addresses = list(session.scalars(select(ContactIdentity.address)
                                     .where(ContactIdentity.contact_id == ticket.contact_id)))
    others = [tuple(row) for row in session.execute(
        select(Ticket.number, Ticket.subject, Ticket.status)
        .where(Ticket.contact_id == ticket.contact_id, Ticket.id != ticket.id)
        .order_by(Ticket.id.desc()).limit(20))]
    return {"name": contact.name if contact else None, "vip": bool(contact and contact.vip),
            "company": contact.company if contact else None, "addresses": addresses,
            "others": others}


def conversation_of(session: Session, ticket: Ticket) -> Conversation | None:
    return session.get(Conversation, ticket.conversation_id) if ticket.conversation_id else None
