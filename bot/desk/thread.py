"""A ticket's conversation read back in time order: messages, replies, notes and events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.store.models import Contact, ContactIdentity, Message, OutboxItem, Ticket, TicketEvent

AGENT_KINDS = frozenset({"agent_notice", "page"})   # mail to the agents, not to the customer
AGENT_REPLY = "agent_reply"
LAST = 2**62  # rows not tied to a message come after the messages of the same moment


@dataclass(frozen=True)
class Entry:
    """One line of the thread: who (customer, bot, agent, agents, or an event's actor)."""

    at: datetime
    who: str
    direction: str            # in | out | event
    channel: str | None
    text: str
    attachments: list[str] = field(default_factory=list)
    order: tuple[int, int, int] = (LAST, 0, 0)  # (message id, source, row id) within `at`


def ticket_thread(session: Session, ticket: Ticket) -> list[Entry]:
    """Everything that happened on the ticket (and in the conversation that opened it)."""
    inbound = inbound_entries(session, ticket)
    moments = {entry.order[0]: entry.at for entry in inbound}
    entries = inbound + outbound_entries(session, ticket, moments) + event_entries(session, ticket)
    return sorted(entries, key=lambda entry: (entry.at, entry.order))


def belongs(column_ticket: Any, column_conversation: Any, ticket: Ticket) -> Any:
    if ticket.conversation_id is None:
        return column_ticket == ticket.id
    return or_(column_ticket == ticket.id, column_conversation == ticket.conversation_id)


def inbound_entries(session: Session, ticket: Ticket) -> list[Entry]:
    rows = session.scalars(select(Message).where(
        belongs(Message.ticket_id, Message.conversation_id, ticket), Message.direction == "in"))
    return [Entry(row.created_at, f"customer {row.sender}", "in", row.channel, row.text,
                  [attachment_name(item) for item in row.attachments or []], (row.id, 0, 0))
            for row in rows]


def attachment_name(item: Any) -> str:
    if isinstance(item, dict):
        return str(item.get("filename") or item.get("name") or item.get("url")
                   or item.get("content_type") or "attachment")
    return str(item)


def outbound_entries(session: Session, ticket: Ticket,
                     moments: dict[int, datetime]) -> list[Entry]:
    """A reply is placed right after the message it answers (they share one moment)."""
    rows = session.scalars(select(OutboxItem).where(
        belongs(OutboxItem.ticket_id, OutboxItem.conversation_id, ticket)))
    entries = []
    for row in rows:
        answered = row.in_reply_to if row.in_reply_to in moments else None
        at = moments[answered] if answered is not None else row.created_at
        entries.append(Entry(at, speaker(row), "out", row.channel,
                             str(row.payload.get("text", "")),
                             order=(answered if answered is not None else LAST, 1, row.id)))
    return entries


def speaker(row: OutboxItem) -> str:
    kind = row.payload.get("kind", "reply")
    if kind in AGENT_KINDS:
        return f"to agents ({kind}) {row.recipient}"
    if kind == AGENT_REPLY:
        return "agent"
    return "bot"


def event_entries(session: Session, ticket: Ticket) -> list[Entry]:
    rows = session.scalars(select(TicketEvent).where(
        belongs(TicketEvent.ticket_id, TicketEvent.conversation_id, ticket)))
    return [Entry(row.at, row.actor, "event", None, describe_event(row), order=(LAST, 2, row.id))
            for row in rows]


def describe_event(event: TicketEvent) -> str:
    if event.action == "kb_answered":
        return f"answered with article {event.detail}"
    change = f" {event.before} → {event.after}" if event.before or event.after else ""
    return f"{event.action}{change}{' · ' + event.detail if event.detail else ''}"


def customer_of(session: Session, ticket: Ticket) -> tuple[str | None, str | None]:
    """The customer's name and the address they use on the ticket's channel."""
    contact = session.get(Contact, ticket.contact_id)
    address = session.scalars(select(ContactIdentity.address).where(
        ContactIdentity.contact_id == ticket.contact_id,
        ContactIdentity.channel == ticket.channel)).first()
    return (contact.name if contact else None), address
