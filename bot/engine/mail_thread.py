"""Which ticket a mail continues: its references to mail we sent or stored, then its [#123] tag."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Contact, ContactIdentity, Message, OutboxItem, Ticket
from channels.email.addresses import subject_ticket

CHANNEL = "email"
MAX_REFERENCES = 50


@dataclass(frozen=True)
class MailFacts:
    """What the email adapter said about a stored mail (the neutral fields it filled in)."""

    subject: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    claimed_ticket: int | None
    claim_verified: bool
    automated_reasons: tuple[str, ...]


@dataclass(frozen=True)
class MailRead:
    """How the engine reads one stored mail: automated, an agent's, or a customer's."""

    kind: str
    facts: MailFacts


def mail_facts(message: Message) -> MailFacts:
    return MailFacts(subject=message.subject or "",
                     in_reply_to=tuple(message.in_reply_to or ()),
                     references=tuple(message.thread_references or ()),
                     claimed_ticket=message.claimed_ticket,
                     claim_verified=bool(message.claim_verified),
                     automated_reasons=tuple(message.automated_reasons or ()))


def thread_tickets(session: Session, facts: MailFacts) -> tuple[int, ...]:
    """Ticket numbers the mail points at: through its references first, then its subject tag."""
    ids = list(dict.fromkeys((*facts.in_reply_to, *reversed(facts.references))))
    numbers = referenced_tickets(session, ids[:MAX_REFERENCES])
    tagged = subject_ticket(facts.subject)
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


def customer_thread(session: Session, facts: MailFacts, sender: str) -> dict[str, object]:
    """The thread a customer's mail continues, kept only when the sender belongs to it."""
    for number in thread_tickets(session, facts):
        ticket = find_by_number(session, number)
        if ticket is None:
            continue
        if belongs_to(session, ticket, CHANNEL, sender):
            return {"ticket": number}
        return {"ignored_ticket": number, "reason": "sender does not belong to that ticket"}
    return {}


def find_by_number(session: Session, number: int) -> Ticket | None:
    return session.scalars(select(Ticket).where(Ticket.number == number)).first()


def belongs_to(session: Session, ticket: Ticket, channel: str, address: str) -> bool:
    """Is `address` one of the ticket's customer's identities?"""
    stmt = (select(ContactIdentity.id).join(Contact)
            .where(Contact.id == ticket.contact_id, ContactIdentity.channel == channel,
                   ContactIdentity.address == address))
    return session.scalar(stmt) is not None


def is_ticket_customer(session: Session, number: int, sender: str) -> bool:
    """The ticket's own customer wrote to its reply address (say, after an agent copied them
    on an answer): their mail continues the ticket like any customer mail."""
    ticket = find_by_number(session, number)
    return ticket is not None and belongs_to(session, ticket, CHANNEL, sender)
