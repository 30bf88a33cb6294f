"""Agents answer by email: signed reply addresses, judging agent mail, relay to the customer.

An agent's reply reaches the customer on the channel the customer used, only when it comes
from a configured agent, to the ticket's signed reply address, with a valid signature, in the
same thread. Anything else claiming to be an agent is kept and flagged, never relayed.
Lines starting with '#' are commands, applied through `bot.desk.agent_commands` (one code path).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.desk import tickets
from bot.desk.agent_commands import CommandError, apply_command, parse_commands
from bot.desk.deadlines import Desk
from bot.engine import outbox
from bot.store.models import Contact, ContactIdentity, Conversation, Message, Setting, Ticket

log = logging.getLogger(__name__)
KEY_ENV = "ATIENDE_SECRET_KEY"
KEY_SETTING = "secret_key"
SIGNATURE_CHARS = 16
RELAY_KIND = "agent_reply"
FLAG_ACTION = "spoofed_agent_mail"


@dataclass(frozen=True)
class AgentMail:
    """What the email channel learnt about one stored mail that claims to be an agent's."""

    sender: str
    text: str                        # the newest part of the reply, quotes stripped
    claimed_ticket: int | None       # from the signed reply address it was sent to
    signature: str                   # as written in that address ('' when unsigned)
    thread_tickets: tuple[int, ...]  # tickets its References / subject tag point at


@dataclass(frozen=True)
class Verdict:
    relay: bool
    reason: str
    ticket: Ticket | None = None


def signing_key(factory: sessionmaker[Session], environ: dict[str, str] | None = None) -> bytes:
    """ATIENDE_SECRET_KEY, else a key generated once and kept in the settings table."""
    value = (os.environ if environ is None else environ).get(KEY_ENV, "")
    if value:
        return value.encode()
    log.warning("%s is not set: using a generated key kept in the database; set it in "
                "production so reply addresses survive a database restore", KEY_ENV)
    with factory() as session:
        found = session.get(Setting, KEY_SETTING)
        if found is not None:
            return found.value.encode()
        session.add(Setting(key=KEY_SETTING, value=secrets.token_urlsafe(32)))
        try:
            session.commit()
        except IntegrityError:  # another process generated it first
            session.rollback()
        stored = session.get(Setting, KEY_SETTING)
        assert stored is not None
        return stored.value.encode()


def sign_ticket(key: bytes, number: int) -> str:
    """The signature in support+t<number>.<sig>@…: 80 bits of HMAC-SHA256, base32, lower case."""
    digest = hmac.new(key, f"ticket:{number}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:SIGNATURE_CHARS]


def is_valid_signature(key: bytes, number: int, signature: str) -> bool:
    return hmac.compare_digest(sign_ticket(key, number), signature.lower())


def judge(session: Session, desk: Desk, key: bytes, mail: AgentMail) -> Verdict:
    """Relay only a configured agent's signed reply to an existing ticket, in its own thread."""
    if mail.claimed_ticket is None:
        return Verdict(False, "not sent to a ticket's reply address (unsigned)")
    ticket = find_by_number(session, mail.claimed_ticket)
    if ticket is None:
        return Verdict(False, f"no ticket #{mail.claimed_ticket}")
    if not mail.signature or not is_valid_signature(key, ticket.number or 0, mail.signature):
        return Verdict(False, f"bad or missing signature for ticket #{ticket.number}", ticket)
    if desk.config.find_agent(mail.sender) is None:
        return Verdict(False, "sender is not a configured agent", ticket)
    others = [n for n in mail.thread_tickets if n != ticket.number]
    if others:
        return Verdict(False, f"reply address is ticket #{ticket.number} but the thread is "
                              f"ticket #{others[0]}", ticket)
    return Verdict(True, "signed agent reply", ticket)


def handle_agent_mail(session: Session, desk: Desk, key: bytes, message: Message,
                      mail: AgentMail, now: datetime) -> Verdict:
    """Relay or flag a stored agent mail, in the caller's transaction."""
    verdict = judge(session, desk, key, mail)
    if not verdict.relay or verdict.ticket is None:
        flag(session, message, verdict, now)
        return verdict
    relay_reply(session, desk, verdict.ticket, mail.sender, mail.text, message, now)
    return verdict


def flag(session: Session, message: Message, verdict: Verdict, now: datetime) -> None:
    message.status = "flagged"
    if verdict.ticket is not None:
        message.ticket_id = verdict.ticket.id
    tickets.record_event(session, ticket=verdict.ticket, actor=f"email:{message.sender}",
                         action=FLAG_ACTION, at=now,
                         detail=f"message {message.id}: {verdict.reason}")
    log.warning("agent mail %s not relayed: %s", message.id, verdict.reason)


def relay_reply(session: Session, desk: Desk, ticket: Ticket, agent: str, text: str,
                message: Message, now: datetime) -> int | None:
    """Send the answer to the customer's channel, then apply the '#' commands in order."""
    message.ticket_id = ticket.id
    message.status = "processed"
    answer = without_commands(text)
    outbox_id = None
    if answer:
        outbox_id = enqueue_answer(session, ticket, answer, now)
        tickets.record_agent_response(session, desk, ticket, agent, now)
        tickets.record_event(session, ticket=ticket, actor=f"agent:{agent}",
                             action="agent_reply", at=now, detail=f"message {message.id}")
        if ticket.status == "open":
            tickets.set_status(session, desk, ticket, "in_progress", f"agent:{agent}", now)
    for command in parse_commands(text):
        try:
            apply_command(session, desk, ticket, agent, command, now)
        except CommandError as exc:
            tickets.record_event(session, ticket=ticket, actor=f"agent:{agent}",
                                 action="command_failed", at=now, detail=str(exc))
    return outbox_id


def without_commands(text: str) -> str:
    """The text for the customer: command lines ('#resolve', '#note …') removed."""
    commands = {f"#{c.name} {c.argument}".strip() for c in parse_commands(text)}
    kept = [line for line in text.splitlines()
            if not (line.strip().startswith("#") and normalized(line) in commands)]
    return "\n".join(kept).strip()


def normalized(line: str) -> str:
    name, _, argument = line.strip().partition(" ")
    return f"{name.lower()} {argument.strip()}".strip()


def enqueue_answer(session: Session, ticket: Ticket, text: str, now: datetime) -> int | None:
    """One outbox row to the customer on the ticket's conversation (their channel)."""
    target = customer_target(session, ticket)
    if target is None:
        log.warning("ticket %s has no customer address to relay to", ticket.number)
        return None
    channel, address, conversation_id = target
    item = outbox.enqueue(session, channel=channel, recipient=address, text=text,
                          kind=RELAY_KIND, conversation_id=conversation_id,
                          ticket_id=ticket.id, in_reply_to=last_inbound_id(session, ticket),
                          subject=f"[#{ticket.number}] {ticket.subject}", now=now)
    return item.id


def customer_target(session: Session, ticket: Ticket) -> tuple[str, str, int | None] | None:
    """(channel, address, conversation id): the ticket's conversation, else its channel identity."""
    conversation = session.get(Conversation, ticket.conversation_id or 0)
    if conversation is not None:
        return conversation.channel, conversation.address, conversation.id
    stmt = select(ContactIdentity).where(ContactIdentity.contact_id == ticket.contact_id,
                                         ContactIdentity.channel == ticket.channel)
    identity = session.scalars(stmt).first()
    return (identity.channel, identity.address, None) if identity else None


def last_inbound_id(session: Session, ticket: Ticket) -> int | None:
    stmt = (select(Message.id).where(Message.direction == "in", Message.ticket_id == ticket.id,
                                     Message.contact_id == ticket.contact_id)
            .order_by(Message.id.desc()).limit(1))
    return session.scalar(stmt)


def find_by_number(session: Session, number: int) -> Ticket | None:
    return session.scalars(select(Ticket).where(Ticket.number == number)).first()


def belongs_to(session: Session, ticket: Ticket, channel: str, address: str) -> bool:
    """Is `address` one of the ticket's customer's identities?"""
    stmt = (select(ContactIdentity.id).join(Contact)
            .where(Contact.id == ticket.contact_id, ContactIdentity.channel == channel,
                   ContactIdentity.address == address))
    return session.scalar(stmt) is not None
