"""Agent commands: #resolve, #close, #priority high, #assign, #note, #category, #status, #kb…

One code path for every way an agent or the desk lead acts on a ticket: email replies,
chat buttons and the `atiende tickets` command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.desk import kb_learning, notices, oncall, ratings, tickets
from bot.desk.deadlines import Desk
from bot.errors import AtiendeError
from bot.store.models import CATEGORIES, PRIORITIES, TICKET_STATUSES, Ticket


class CommandError(AtiendeError):
    """An agent command that cannot apply (unknown name, bad argument, wrong state)."""


@dataclass(frozen=True)
class AgentCommand:
    name: str
    argument: str = ""


def parse_commands(text: str) -> list[AgentCommand]:
    """Lines starting with '#' are commands: '#priority high' → AgentCommand('priority', 'high')."""
    commands = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") and len(stripped) > 1 and not stripped[1].isdigit():
            name, _, argument = stripped[1:].partition(" ")
            commands.append(AgentCommand(name.lower(), argument.strip()))
    return commands


def apply_command(session: Session, desk: Desk, ticket: Ticket, agent: str,
                  command: AgentCommand, now: datetime) -> None:
    handler = HANDLERS.get(command.name)
    if handler is None:
        raise CommandError(f"unknown command #{command.name} (known: {', '.join(HANDLERS)})")
    handler(session, desk, ticket, agent, command.argument, now)


def resolve(session: Session, desk: Desk, ticket: Ticket, agent: str, note: str,
            now: datetime) -> None:
    if ticket.status in ("resolved", "closed"):
        raise CommandError(f"ticket #{ticket.number} is already {ticket.status}")
    tickets.record_agent_response(session, desk, ticket, agent, now)
    add_note(session, desk, ticket, agent, note, now)
    tickets.set_status(session, desk, ticket, "resolved", f"agent:{agent}", now)
    notices.tell(session, desk.config, ticket, "ticket_resolved", now)
    ratings.request_rating(session, desk, ticket, now)


def close(session: Session, desk: Desk, ticket: Ticket, agent: str, note: str,
          now: datetime) -> None:
    if ticket.status == "closed":
        raise CommandError(f"ticket #{ticket.number} is already closed")
    add_note(session, desk, ticket, agent, note, now)
    tickets.set_status(session, desk, ticket, "closed", f"agent:{agent}", now)


def reopen(session: Session, desk: Desk, ticket: Ticket, agent: str, note: str,
           now: datetime) -> None:
    if ticket.status not in ("resolved", "closed"):
        raise CommandError(f"ticket #{ticket.number} is {ticket.status}, not resolved or closed")
    add_note(session, desk, ticket, agent, note, now)
    tickets.reopen(session, desk, ticket, f"agent:{agent}", now)


def set_priority(session: Session, desk: Desk, ticket: Ticket, agent: str, value: str,
                 now: datetime) -> None:
    if value not in PRIORITIES:
        raise CommandError(f"#priority takes one of {', '.join(PRIORITIES)}")
    ticket.last_agent_activity_at = now
    tickets.set_priority(session, desk, ticket, value, f"agent:{agent}", now)


def set_category(session: Session, desk: Desk, ticket: Ticket, agent: str, value: str,
                 now: datetime) -> None:
    if value not in CATEGORIES:
        raise CommandError(f"#category takes one of {', '.join(CATEGORIES)}")
    tickets.set_category(session, desk, ticket, value, f"agent:{agent}", now)


def assign(session: Session, desk: Desk, ticket: Ticket, agent: str, value: str,
           now: datetime) -> None:
    target = desk.config.find_agent(value or agent)
    if target is None:
        raise CommandError(f"#assign: {value!r} is not an agent in config.yaml")
    before, ticket.assignee = ticket.assignee, target.email
    ticket.last_agent_activity_at = now
    tickets.record_event(session, ticket=ticket, actor=f"agent:{agent}", action="assigned",
                         at=now, before=before, after=target.email)
    desk.refresh(ticket)
    if before != target.email:
        notices.tell(session, desk.config, ticket, "ticket_assigned", now,
                     agent=notices.first_name(target.name))


def set_status(session: Session, desk: Desk, ticket: Ticket, agent: str, value: str,
               now: datetime) -> None:
    """Any status: resolved, closed and reopening go through their own commands' rules."""
    if value not in TICKET_STATUSES:
        raise CommandError(f"#status takes one of {', '.join(TICKET_STATUSES)}")
    if value == ticket.status:
        return
    by_rule = {"resolved": resolve, "closed": close}.get(value)
    if by_rule is None and ticket.status in ("resolved", "closed"):
        by_rule = reopen if value == "open" else None
        if by_rule is None:
            raise CommandError(f"ticket #{ticket.number} is {ticket.status}: reopen it first")
    if by_rule is not None:
        by_rule(session, desk, ticket, agent, "", now)
        return
    ticket.last_agent_activity_at = now
    tickets.set_status(session, desk, ticket, value, f"agent:{agent}", now)
    notices.status_set(session, desk.config, ticket, agent, now)


def add_note(session: Session, desk: Desk, ticket: Ticket, agent: str, text: str,
             now: datetime) -> None:
    """An internal note: stays in the audit trail, never reaches the customer."""
    if text:
        tickets.record_event(session, ticket=ticket, actor=f"agent:{agent}", action="note",
                             at=now, detail=text)


def acknowledge(session: Session, desk: Desk, ticket: Ticket, agent: str, note: str,
                now: datetime) -> None:
    if not oncall.acknowledge(session, desk, ticket, agent, now):
        raise CommandError(f"ticket #{ticket.number} has no unacknowledged page")
    add_note(session, desk, ticket, agent, note, now)


def propose_phrasing(session: Session, desk: Desk, ticket: Ticket, agent: str, value: str,
                     now: datetime) -> None:
    """#kb ARTICLE-ID: the customer's question becomes a proposed phrasing of that article."""
    if not value:
        raise CommandError("#kb takes the id of the article that answers the question")
    try:
        kb_learning.propose(session, str(desk.config.kb_path()), ticket, agent, value.split()[0],
                            now)
    except kb_learning.ProposalError as exc:
        raise CommandError(str(exc)) from None


Handler = Callable[[Session, Desk, Ticket, str, str, datetime], None]
HANDLERS: dict[str, Handler] = {
    "resolve": resolve, "close": close, "reopen": reopen, "priority": set_priority,
    "category": set_category, "assign": assign, "note": add_note, "ack": acknowledge,
    "status": set_status, "kb": propose_phrasing,
}
