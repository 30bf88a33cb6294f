"""Triage that learns from the desk: an agent's category/priority correction becomes a
pending example (the ticket's first message and the corrected labels), used once approved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.errors import AtiendeError
from bot.store.models import Ticket, TriageExample

MAX_TEXT_CHARS = 2000


class ExampleError(AtiendeError):
    """An example that cannot be decided (unknown, already decided)."""


def first_message(ticket: Ticket) -> str:
    """What the customer first wrote (a follow-up answer is kept after it in parentheses)."""
    return (ticket.description or "").split("\n\n(")[0].strip()[:MAX_TEXT_CHARS]


def note_correction(session: Session, ticket: Ticket, actor: str, now: datetime) -> None:
    """After an agent changed the category or priority: the ticket's pending example, made
    or updated to the ticket's labels now. A ticket without a category teaches nothing."""
    text = first_message(ticket)
    if not actor.startswith("agent:") or not text or ticket.category is None:
        return
    found = session.scalars(select(TriageExample).where(
        TriageExample.ticket_id == ticket.id, TriageExample.status == "pending")).first()
    if found is None:
        found = TriageExample(text=text, ticket_id=ticket.id, status="pending", at=now,
                              proposed_by=actor.removeprefix("agent:"),
                              category=ticket.category, priority=ticket.priority)
        session.add(found)
    found.category, found.priority, found.at = ticket.category, ticket.priority, now


def listed(session: Session, status: str = "pending") -> list[TriageExample]:
    stmt = select(TriageExample).where(TriageExample.status == status).order_by(TriageExample.id)
    return list(session.scalars(stmt))


def decide(session: Session, example_id: int, approve: bool, now: datetime) -> TriageExample:
    example = session.get(TriageExample, example_id)
    if example is None:
        raise ExampleError(f"no triage example {example_id}")
    if example.status != "pending":
        raise ExampleError(f"triage example {example_id} is already {example.status}")
    example.status = "approved" if approve else "rejected"
    example.decided_at = now
    return example


_EXAMPLES = TriageExample.__table__
# Built once, on the table: it runs before every routing batch, and as an ORM statement built
# per call it cost about five times the plain one (230 against 45 µs a call).
APPROVED_VERSION = (select(func.count(_EXAMPLES.c.id), func.max(_EXAMPLES.c.id))
                    .where(_EXAMPLES.c.status == "approved"))


def approved_version(session: Session) -> tuple[int, int]:
    """(how many, newest id) of the approved examples: changes when one is approved."""
    count, newest = session.execute(APPROVED_VERSION).one()
    return int(count or 0), int(newest or 0)


def approved(session: Session) -> list[tuple[str, str, str]]:
    """(text, category, priority) of every approved example, oldest first."""
    rows = session.execute(select(TriageExample.text, TriageExample.category,
                                  TriageExample.priority)
                           .where(TriageExample.status == "approved")
                           .order_by(TriageExample.id))
    return [(text, category, priority) for text, category, priority in rows]
