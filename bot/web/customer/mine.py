"""What a signed-in customer may read: their contact's tickets and each one's public history.

Everything is looked up through the contact behind the signed-in email address; a ticket of
another contact is simply not found. Internal notes, events and mail to agents never show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.desk.notices import first_name
from bot.engine.contacts import find_contact
from bot.store.models import Contact, ContactIdentity, Message, OutboxItem, Ticket, WebUpload

AGENT_ONLY_KINDS = ("agent_notice", "page", "agent_invite")
SIGN_IN_CHANNEL = "email"


@dataclass
class Line:
    """One entry of the customer's history: who is you | support | bot."""

    who: str
    at: datetime
    text: str
    attachments: list[dict[str, Any]] = field(default_factory=list)
    order: int = 0


def contact_of(session: Session, email: str | None) -> Contact | None:
    return find_contact(session, SIGN_IN_CHANNEL, email) if email else None


def tickets_of(session: Session, contact: Contact) -> list[Ticket]:
    return list(session.scalars(select(Ticket).where(Ticket.contact_id == contact.id)
                                .order_by(Ticket.updated_at.desc(), Ticket.id.desc())))


def owned_ticket(session: Session, email: str | None, number: int) -> Ticket | None:
    """Ticket `number` if it belongs to the signed-in customer's contact, else None."""
    contact = contact_of(session, email)
    if contact is None:
        return None
    return session.scalars(select(Ticket).where(Ticket.number == number,
                                                Ticket.contact_id == contact.id)).first()


def owned_upload(session: Session, email: str | None, upload_id: int) -> WebUpload | None:
    contact = contact_of(session, email)
    upload = session.get(WebUpload, upload_id)
    if contact is None or upload is None or upload.ticket_id is None:
        return None
    ticket = session.get(Ticket, upload.ticket_id)
    return upload if ticket is not None and ticket.contact_id == contact.id else None


def assignee_name(config: AtiendeConfig, ticket: Ticket) -> str | None:
    """The agent's first name only (never their address)."""
    agent = config.find_agent(ticket.assignee or "")
    return first_name(agent.name) if agent else None


def on_ticket(ticket_column: Any, conversation_column: Any, ticket: Ticket) -> Any:
    if ticket.conversation_id is None:
        return ticket_column == ticket.id
    return or_(ticket_column == ticket.id, conversation_column == ticket.conversation_id)


def history(session: Session, ticket: Ticket) -> list[Line]:
    """The customer's messages and what was sent to the customer's own addresses, in order."""
    addresses = list(session.scalars(select(ContactIdentity.address).where(
        ContactIdentity.contact_id == ticket.contact_id)))
    inbound = session.scalars(select(Message).where(
        Message.direction == "in", Message.contact_id == ticket.contact_id,
        on_ticket(Message.ticket_id, Message.conversation_id, ticket)))
    lines = [Line("you", m.created_at, m.text, list(m.attachments or []), m.id * 2)
             for m in inbound]
    outbound = session.scalars(select(OutboxItem).where(
        OutboxItem.recipient.in_(addresses),
        on_ticket(OutboxItem.ticket_id, OutboxItem.conversation_id, ticket)))
    for row in outbound:
        kind = row.payload.get("kind", "reply")
        if kind not in AGENT_ONLY_KINDS:
            lines.append(Line("support" if kind == "agent_reply" else "bot", row.created_at,
                              str(row.payload.get("text", "")), order=row.id * 2 + 1))
    return sorted(lines, key=lambda line: (line.at, line.order))
