"""Which ticket a mail belongs to: References to our Message-IDs, then the [#123] subject tag."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.desk.relay import belongs_to, find_by_number
from bot.store.models import Message, OutboxItem, Ticket
from channels.email.addresses import subject_ticket
from channels.email.parse import ParsedEmail

CHANNEL = "email"
MAX_REFERENCES = 50


def thread_tickets(session: Session, parsed: ParsedEmail) -> tuple[int, ...]:
    """Ticket numbers the mail points at: through its references first, then its subject tag."""
    ids = list(dict.fromkeys((*parsed.in_reply_to, *reversed(parsed.references))))
    numbers = referenced_tickets(session, ids[:MAX_REFERENCES])
    tagged = subject_ticket(parsed.subject)
    if tagged is not None:
        numbers.append(tagged)
    return tuple(dict.fromkeys(numbers))


def referenced_tickets(session: Session, ids: list[str]) -> list[int]:
    """Tickets behind the referenced Message-IDs, in the order of `ids` (In-Reply-To first)."""
    if not ids:
        return []
    ours = select(OutboxItem.provider_message_id, Ticket.number).join(
        OutboxItem, OutboxItem.ticket_id == Ticket.id).where(
        OutboxItem.channel == CHANNEL, OutboxItem.provider_message_id.in_(ids))
    stored = select(Message.provider_message_id, Ticket.number).join(
        Message, Message.ticket_id == Ticket.id).where(
        Message.channel == CHANNEL, Message.provider_message_id.in_(ids))
    by_id: dict[str, int] = {}
    for message_id, number in [*session.execute(ours), *session.execute(stored)]:
        if number is not None:
            by_id.setdefault(message_id, number)
    return list(dict.fromkeys(by_id[i] for i in ids if i in by_id))


def customer_thread(session: Session, parsed: ParsedEmail) -> dict[str, object]:
    """The thread a customer's mail continues, kept only when the sender belongs to it."""
    for number in thread_tickets(session, parsed):
        ticket = find_by_number(session, number)
        if ticket is None:
            continue
        if belongs_to(session, ticket, CHANNEL, parsed.sender):
            return {"ticket": number}
        return {"ignored_ticket": number, "reason": "sender does not belong to that ticket"}
    return {}
