"""Messages to agents: SLA warnings, escalations, supervisor notices and on-call pages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, select, true
from sqlalchemy.orm import Session

from bot.config.desk import AgentConfig
from bot.config.root import AtiendeConfig
from bot.engine import outbox
from bot.engine.replies import PRIORITY_NAMES, name_of, render
from bot.store.models import Conversation, Message, Ticket
from bot.store.persist import batch_scratch

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
        outbox.enqueue_row(session, channel=AGENT_CHANNEL, recipient=agent.email, text=text,
                           kind="agent_notice", ticket_id=ticket.id, now=now,
                           subject=f"[#{ticket.number}] {ticket.subject}")
    return len(agents)


# A ticket's transcript: its customer's last TRANSCRIPT_LIMIT messages, on the ticket or on
# its conversation. Each part is read newest first with a LIMIT, along the indexes
# (ticket_id, direction, id) and (conversation_id, direction, id) (migration 0018): what a turn
# reads stays the same whatever the ticket's length (a window over all its messages did not).
TRANSCRIPT_LIMIT = 20
TRANSCRIPTS_KEY = "atiende_transcripts"
Rows = list[tuple[int, str | None]]
Part = tuple[str, int]   # ("ticket", ticket id) or ("conversation", conversation id)
MESSAGES = Message.__table__   # plain Core: no ORM machinery for these rows
OWNERS = {"ticket": (Ticket.__table__, MESSAGES.c.ticket_id),
          "conversation": (Conversation.__table__, MESSAGES.c.conversation_id)}


def newest_by_key(kind: str, lateral: bool) -> Select[Any]:
    """(id, text, key) of the newest :limit customer messages of each ticket or conversation
    in :keys, one bounded index range each. PostgreSQL reads each part as a LATERAL subquery;
    SQLite, which has none, as `id IN (the part's ids)` (on PostgreSQL that form scans every
    message). Built once at import: every routing batch runs them."""
    owner, column = OWNERS[kind]
    inner = MESSAGES.alias("newest")
    newest = (select(inner.c.id, inner.c.text)
              .where(inner.c[column.name] == owner.c.id, inner.c.direction == "in")
              .order_by(inner.c.id.desc()).limit(bindparam("limit")))
    keys = owner.c.id.in_(bindparam("keys", expanding=True))
    if lateral:
        part = newest.lateral()
        return (select(part.c.id, part.c.text, owner.c.id.label("key"))
                .select_from(owner.join(part, true())).where(keys))
    ids = newest.with_only_columns(inner.c.id)
    return (select(MESSAGES.c.id, MESSAGES.c.text, owner.c.id.label("key"))
            .select_from(owner.join(MESSAGES, MESSAGES.c.id.in_(ids))).where(keys))


NEWEST = {(kind, lateral): newest_by_key(kind, lateral)
          for kind in OWNERS for lateral in (False, True)}


def read_parts(session: Session, parts: Iterable[Part], limit: int) -> dict[Part, Rows]:
    """The newest `limit` customer messages of each part (in no order: `transcripts_of`
    merges and sorts them): a statement per kind of part for a routing batch."""
    lateral = session.get_bind().dialect.name == "postgresql"
    found: dict[Part, Rows] = {}
    wanted = sorted(set(parts))
    for kind in OWNERS:
        keys = [key for part_kind, key in wanted if part_kind == kind]
        if not keys:
            continue
        with session.no_autoflush:
            rows = session.connection().execute(NEWEST[kind, lateral],
                                                {"keys": keys, "limit": limit})
            for row in rows:
                found.setdefault((kind, row.key), []).append((row.id, row.text))
    return found


def ticket_parts(ticket: Ticket) -> list[Part]:
    parts: list[Part] = [("ticket", ticket.id)]
    if ticket.conversation_id is not None:
        parts.append(("conversation", ticket.conversation_id))
    return parts


def transcripts_of(session: Session, tickets: Sequence[Ticket], limit: int) -> dict[int, Rows]:
    """Each ticket's transcript, oldest first: its parts' messages merged, the last `limit`."""
    found = read_parts(session, (part for t in tickets for part in ticket_parts(t)), limit)
    merged: dict[int, Rows] = {}
    for ticket in tickets:
        rows = dict(row for part in ticket_parts(ticket) for row in found.get(part, ()))
        merged[ticket.id] = sorted(rows.items())[-limit:]
    return merged


def batch_transcripts(session: Session) -> AbstractContextManager[None]:
    """Within: `read_transcripts` keeps tickets' transcripts for `transcript` to use."""
    return batch_scratch(session, TRANSCRIPTS_KEY)


def read_transcripts(session: Session, tickets: Iterable[Ticket]) -> None:
    """Read these tickets' transcripts at once (a routing batch's customers' latest tickets:
    a follow-up on one quotes it to the agents): a statement per kind of part (ticket,
    conversation), not one per ticket."""
    kept = session.info.get(TRANSCRIPTS_KEY)
    tickets = list(tickets)
    if kept is None or not tickets:
        return
    merged = transcripts_of(session, tickets, TRANSCRIPT_LIMIT)
    for ticket in tickets:
        kept[ticket.id] = (ticket.conversation_id, merged[ticket.id])


def forget_transcripts(session: Session) -> None:
    """What was read is out of date (the batch flushed: the database has moved on)."""
    kept = session.info.get(TRANSCRIPTS_KEY)
    if kept:
        kept.clear()


def transcript(session: Session, ticket: Ticket, latest: Message | None = None,
               limit: int = TRANSCRIPT_LIMIT, earlier: bool = True) -> str:
    """The customer's messages on this ticket's conversation, oldest first, for agents.

    `latest` is the message being handled: it is included even though its link to the
    conversation is not flushed yet (the turn flushes once, at its end). `earlier=False`
    says there are no others (its conversation began with it): nothing to look up. What the
    routing batch read ahead (`read_transcripts`) serves when it is for this ticket.
    """
    found: Rows = []
    if earlier:
        ahead = read_ahead(session, ticket, limit)
        found = ahead if ahead is not None else earlier_messages(session, ticket, limit)
    if latest is not None and all(found_id != latest.id for found_id, _ in found):
        found = [*found, (latest.id, latest.text)][-limit:]
    return "\n".join(f"> {text}" for _, text in found)


def read_ahead(session: Session, ticket: Ticket, limit: int) -> Rows | None:
    kept = (session.info.get(TRANSCRIPTS_KEY) or {}).get(ticket.id)
    if kept is None or limit != TRANSCRIPT_LIMIT or kept[0] != ticket.conversation_id:
        return None
    return list(kept[1])


def earlier_messages(session: Session, ticket: Ticket, limit: int) -> Rows:
    return transcripts_of(session, [ticket], limit)[ticket.id]


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
        outbox.enqueue_row(session, channel=channel, recipient=address, text=text,
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
    outbox.enqueue_row(session, channel=conversation.channel, recipient=conversation.address,
                       text=render(key, ticket.language, number=ticket.number,
                                   subject=ticket.subject, **values),
                       kind=key, conversation_id=conversation.id, ticket_id=ticket.id,
                       in_reply_to=last_inbound_id(session, ticket),
                       subject=f"[#{ticket.number}] {ticket.subject}", now=now, send_at=send_at)


def last_inbound_id(session: Session, ticket: Ticket) -> int | None:
    """The customer's latest message on the ticket (a mail answering it stays in its thread)."""
    stmt = (select(Message.id).where(Message.direction == "in", Message.ticket_id == ticket.id,
                                     Message.contact_id == ticket.contact_id)
            .order_by(Message.id.desc()).limit(1))
    return session.scalar(stmt)
