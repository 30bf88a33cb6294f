"""Helpers that make engine tests read like transcripts: send this, expect that."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.app import Runtime
from bot.cli.chat import ChatSession
from bot.store.models import Ticket, TicketEvent


def reply_text(result: dict[str, Any]) -> str:
    """All reply texts of one turn, joined."""
    return "\n".join(reply["text"] for reply in result["replies"])


def send(chat: ChatSession, text: str) -> str:
    return reply_text(chat.send(text))


def ticket(runtime: Runtime, number: int) -> Ticket:
    with runtime.factory() as session:
        found = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        session.expunge(found)
        return found


def actions(runtime: Runtime, ticket_number: int | None = None) -> list[str]:
    """The audit trail's actions, oldest first (for one ticket, or all)."""
    with runtime.factory() as session:
        stmt = select(TicketEvent.action).order_by(TicketEvent.id)
        if ticket_number is not None:
            stmt = stmt.join(Ticket, Ticket.id == TicketEvent.ticket_id).where(
                Ticket.number == ticket_number)
        return list(session.scalars(stmt))


def count(runtime: Runtime, model: type) -> int:
    with runtime.factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0
