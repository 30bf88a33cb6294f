"""What an agent does from the browser, through the engine's own functions (relay, commands).

Every action runs in one transaction with its audit rows (`agent:<email>`) and, for a reply,
the outbox row that carries it to the customer's channel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from bot.desk import agent_commands, relay
from bot.desk.agent_commands import AgentCommand, CommandError
from bot.desk.deadlines import Desk
from bot.store.models import Ticket

FIELD_COMMANDS = ("status", "priority", "category", "assign")


def reply(session: Session, desk: Desk, ticket: Ticket, agent: str, text: str,
          now: datetime) -> int | None:
    """The answer goes out on the customer's channel, exactly like an agent's email reply."""
    answer = text.strip()
    if not answer:
        raise CommandError("empty_text")
    return relay.answer_customer(session, desk, ticket, agent, answer, now, "web inbox")


def note(session: Session, desk: Desk, ticket: Ticket, agent: str, text: str,
         now: datetime) -> None:
    """An internal note: an audit row only, never an outbox row."""
    if not text.strip():
        raise CommandError("empty_text")
    agent_commands.add_note(session, desk, ticket, agent, text.strip(), now)


def command(name: str) -> Callable[[Session, Desk, Ticket, str, str, datetime], None]:
    """resolve, assign, status, priority, category: the `#command` of the same name."""
    def run(session: Session, desk: Desk, ticket: Ticket, agent: str, argument: str,
            now: datetime) -> None:
        agent_commands.apply_command(session, desk, ticket, agent,
                                     AgentCommand(name, argument.strip()), now)
    return run


ACTIONS: dict[str, Callable[[Session, Desk, Ticket, str, str, datetime], object]] = {
    "reply": reply, "note": note, "resolve": command("resolve"),
    **{name: command(name) for name in FIELD_COMMANDS},
}
