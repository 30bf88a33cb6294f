"""Messages to agents: SLA warnings, escalations, supervisor notices and on-call pages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.config.desk import AgentConfig
from bot.config.root import AtiendeConfig
from bot.engine import outbox
from bot.engine.replies import PRIORITY_NAMES, name_of, render
from bot.store.models import Conversation, Message, Ticket

AGENT_CHANNEL = "email"


def agents_at_level(config: AtiendeConfig, level: int) -> list[AgentConfig]:
    """Agents of exactly this level; else the nearest level above; else the supervisors."""
    for wanted in range(level, 5):
        found = [agent for agent in config.agents if agent.level == wanted]
        if found:
            return found
    return supervisors(config)


def supervisors(config: AtiendeConfig) -> list[AgentConfig]:
    return [agent for agent in config.agents if agent.supervisor]


def notify(session: Session, config: AtiendeConfig, ticket: Ticket, agents: list[AgentConfig],
           key: str, now: datetime, **values: object) -> int:
    """One outbox email per agent, in the desk's language; returns how many were queued."""
    lang = config.bot.default_language
    text = render(key, lang, number=ticket.number, subject=ticket.subject,
                  priority=name_of(PRIORITY_NAMES, ticket.priority, lang), level=ticket.level,
                  **values)
    for agent in agents:
        outbox.enqueue_notice(session, channel=AGENT_CHANNEL, recipient=agent.email, text=text,
                              kind="agent_notice", ticket_id=ticket.id, now=now,
                              subject=f"[#{ticket.number}] {ticket.subject}")
    return len(agents)


# Built once: it runs for every new ticket and follow-up. Only the columns it shows (whole
# messages would decode each one's raw payload and attachments).
TRANSCRIPT = (select(Message.id, Message.text)
              .where(Message.direction == "in",
                     (Message.ticket_id == bindparam("ticket_id"))
                     | (Message.conversation_id == bindparam("conversation_id")))
              .order_by(Message.id.desc()).limit(bindparam("limit")))


def transcript(session: Session, ticket: Ticket, latest: Message | None = None,
               limit: int = 20, earlier: bool = True) -> str:
    """The customer's messages on this ticket's conversation, oldest first, for agents.

    `latest` is the message being handled: it is included even though its link to the
    conversation is not flushed yet (the turn flushes once, at its end). `earlier=False`
    says there are no others (its conversation began with it): nothing to look up.
    """
    found: list[tuple[int, str | None]] = []
    if earlier:
        with session.no_autoflush:
            found = [(row.id, row.text) for row in session.execute(TRANSCRIPT, {
                "ticket_id": ticket.id, "limit": limit,
                "conversation_id": ticket.conversation_id})]
        found.reverse()
    if latest is not None and all(found_id != latest.id for found_id, _ in found):
        found = [*found, (latest.id, latest.text)][-limit:]
    return "\n".join(f"> {text}" for _, text in found)


def new_ticket(session: Session, config: AtiendeConfig, ticket: Ticket, message: Message,
               now: datetime, first_message: bool = False) -> None:
    """Every new ticket is mailed to the agents of its level, with the conversation so far
    (`first_message`: the conversation began with this message)."""
    notify(session, config, ticket, agents_at_level(config, ticket.level), "agent_new_ticket",
           now, contact=message.sender, category=ticket.category or "?",
           channel=ticket.channel,
           conversation=transcript(session, ticket, message, earlier=not first_message))


def customer_follow_up(session: Session, config: AtiendeConfig, ticket: Ticket,
                       message: Message, text: str, now: datetime) -> None:
    agents = ([found] if (found := config.find_agent(ticket.assignee or "")) else
              agents_at_level(config, ticket.level))
    notify(session, config, ticket, agents, "agent_customer_message", now,
           contact=message.sender, message=text,
           conversation=transcript(session, ticket, message))


def page_address(config: AtiendeConfig, agent: AgentConfig) -> tuple[str, str]:
    """(channel, address) to page an agent on, falling back to email."""
    channel = config.on_call.channel
    address = getattr(agent, channel, None) if channel != "email" else agent.email
    return (channel, address) if address else (AGENT_CHANNEL, agent.email)


def page(session: Session, config: AtiendeConfig, ticket: Ticket, agents: list[AgentConfig],
         key: str, now: datetime) -> None:
    text = render(key, config.bot.default_language, number=ticket.number,
                  subject=ticket.subject)
    for agent in agents:
        channel, address = page_address(config, agent)
        outbox.enqueue_notice(session, channel=channel, recipient=address, text=text,
                              kind="page", ticket_id=ticket.id, now=now,
                              buttons=(f"#ack {ticket.number}",),
                              subject=f"[#{ticket.number}] {ticket.subject}")


def tell_customer(session: Session, ticket: Ticket, key: str, now: datetime,
                  send_at: datetime | None = None, **values: object) -> None:
    """A message to the customer on the conversation the ticket came from (`send_at`: not
    before then, e.g. after quiet hours); by email, in the thread of their last mail."""
    conversation = session.get(Conversation, ticket.conversation_id)
    if conversation is None:
        return
    item = outbox.enqueue(session, channel=conversation.channel, recipient=conversation.address,
                          text=render(key, ticket.language, number=ticket.number,
                                      subject=ticket.subject, **values),
                          kind=key, conversation_id=conversation.id, ticket_id=ticket.id,
                          in_reply_to=last_inbound_id(session, ticket),
                          subject=f"[#{ticket.number}] {ticket.subject}", now=now, flush=False)
    if send_at is not None and send_at > now:
        item.next_attempt_at = send_at


def last_inbound_id(session: Session, ticket: Ticket) -> int | None:
    """The customer's latest message on the ticket (a mail answering it stays in its thread)."""
    stmt = (select(Message.id).where(Message.direction == "in", Message.ticket_id == ticket.id,
                                     Message.contact_id == ticket.contact_id)
            .order_by(Message.id.desc()).limit(1))
    return session.scalar(stmt)
