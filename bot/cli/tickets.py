"""`atiende tickets …` and `atiende contacts vip …`: the desk lead's commands at the server."""

from __future__ import annotations

import json
from typing import Any

import click
from sqlalchemy import select

from bot.cli.base import config_option, open_runtime, user_errors
from bot.desk import agent_commands
from bot.desk.agent_commands import AgentCommand
from bot.store.db import transaction
from bot.store.models import TICKET_STATUSES, Ticket, TicketEvent

LEAD = "lead@console"


def ticket_row(ticket: Ticket) -> dict[str, Any]:
    return {"number": ticket.number, "status": ticket.status, "priority": ticket.priority,
            "category": ticket.category, "level": ticket.level, "vip": ticket.vip,
            "assignee": ticket.assignee, "subject": ticket.subject, "rating": ticket.rating,
            "rating_comment": ticket.rating_comment,
            "created_at": ticket.created_at.isoformat(),
            "first_response_due_at": ticket.first_response_due_at.isoformat()
            if ticket.first_response_due_at else None}


@click.group()
def tickets() -> None:
    """List, show and act on tickets."""


@tickets.command("list")
@click.option("--status", type=click.Choice(TICKET_STATUSES), default=None)
@click.option("--json", "as_json", is_flag=True)
@config_option
@user_errors
def tickets_list(status: str | None, as_json: bool, config_path: str | None) -> None:
    """Tickets, newest first."""
    runtime = open_runtime(config_path)
    with runtime.factory() as session:
        stmt = select(Ticket).order_by(Ticket.id.desc())
        if status:
            stmt = stmt.where(Ticket.status == status)
        rows = [ticket_row(t) for t in session.scalars(stmt)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"#{row['number']:<5} {row['status']:<17} {row['priority']:<8} "
                   f"L{row['level']} {row['subject']}")


@tickets.command("show")
@click.argument("number", type=int)
@config_option
@user_errors
def tickets_show(number: int, config_path: str | None) -> None:
    """One ticket with its audit trail."""
    runtime = open_runtime(config_path)
    with runtime.factory() as session:
        ticket = find_or_fail(session, number)
        click.echo(json.dumps(ticket_row(ticket), ensure_ascii=False, indent=2))
        events = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                 .order_by(TicketEvent.id))
        for event in events:
            change = f" {event.before} → {event.after}" if event.before or event.after else ""
            click.echo(f"{event.at.isoformat()} {event.actor} {event.action}{change}"
                       f"{' · ' + event.detail if event.detail else ''}")


def find_or_fail(session: Any, number: int) -> Ticket:
    ticket = session.scalars(select(Ticket).where(Ticket.number == number)).first()
    if ticket is None:
        raise agent_commands.CommandError(f"no ticket #{number}")
    return ticket


def act(name: str, number: int, argument: str, agent: str, config_path: str | None) -> None:
    runtime = open_runtime(config_path)
    with transaction(runtime.factory) as session:
        ticket = find_or_fail(session, number)
        agent_commands.apply_command(session, runtime.ctx.desk, ticket, agent,
                                     AgentCommand(name, argument), runtime.clock.now())
        click.echo(f"ticket #{number}: {ticket.status}, priority {ticket.priority}, "
                   f"level {ticket.level}")


def action_command(name: str, help_text: str) -> click.Command:
    @click.command(name, help=help_text)
    @click.argument("number", type=int)
    @click.option("--note", default="", help="internal note for the audit trail")
    @click.option("--agent", default=LEAD, show_default=True, help="who acts")
    @config_option
    @user_errors
    def command(number: int, note: str, agent: str, config_path: str | None) -> None:
        act(name, number, note, agent, config_path)

    return command


for _name, _help in (("resolve", "Mark resolved (the customer is told)."),
                     ("close", "Close the ticket."), ("reopen", "Reopen a resolved ticket."),
                     ("ack", "Acknowledge an on-call page.")):
    tickets.add_command(action_command(_name, _help))


@click.group()
def contacts() -> None:
    """Contacts."""


@contacts.group("vip")
def contacts_vip() -> None:
    """VIP flag on contacts."""


@contacts_vip.command("add")
@click.argument("address")
@config_option
@user_errors
def vip_add(address: str, config_path: str | None) -> None:
    """Mark the contact behind ADDRESS (e.g. whatsapp:+57…, console:ana) as VIP."""
    from bot.engine.contacts import set_vip

    runtime = open_runtime(config_path)
    with transaction(runtime.factory) as session:
        set_vip(session, runtime.config, address, True, runtime.clock.now())
    click.echo(f"{address} is VIP")
