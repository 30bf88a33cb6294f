"""An agent's answer to a ticket goes to the customer on their channel, then its '#' commands.

Lines starting with '#' are commands, applied through `bot.desk.agent_commands` (one code path);
the rest is the answer, queued in the outbox in the caller's transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.desk import tickets
from bot.desk.agent_commands import CommandError, apply_command, parse_commands
from bot.desk.deadlines import Desk
from bot.desk.notices import RELAY_KIND
from bot.desk.notify import last_inbound_id
from bot.engine import outbox
from bot.store.deferred_updates import set_columns
from bot.store.models import ContactIdentity, Conversation, Message, Ticket

log = logging.getLogger(__name__)


def relay_reply(session: Session, desk: Desk, ticket: Ticket, agent: str, text: str,
                message: Message, now: datetime) -> int | None:
    """Send the answer to the customer's channel, then apply the '#' commands in order."""
    set_columns(message, ticket_id=ticket.id, status="processed")
    answer = without_commands(text)
    outbox_id = None
    if answer:
        outbox_id = answer_customer(session, desk, ticket, agent, answer, now,
                                    f"message {message.id}")
    for command in parse_commands(text):
        try:
            apply_command(session, desk, ticket, agent, command, now)
        except CommandError as exc:
            tickets.record_event(session, ticket=ticket, actor=f"agent:{agent}",
                                 action="command_failed", at=now, detail=str(exc))
    return outbox_id


def answer_customer(session: Session, desk: Desk, ticket: Ticket, agent: str, answer: str,
                    now: datetime, source: str) -> int | None:
    """An agent's answer (by email or from the web inbox): queued to the customer's channel,
    first response and activity recorded, an open ticket moves to in_progress."""
    outbox_id = enqueue_answer(session, ticket, answer, now)
    tickets.record_agent_response(session, desk, ticket, agent, now)
    tickets.record_event(session, ticket=ticket, actor=f"agent:{agent}",
                         action="agent_reply", at=now, detail=source)
    if ticket.status == "open":
        tickets.set_status(session, desk, ticket, "in_progress", f"agent:{agent}", now)
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
