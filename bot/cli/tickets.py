"""`atiende tickets …` and `atiende contacts vip …`: the desk lead's commands at the server."""

from __future__ import annotations

import click

from bot.cli.base import config_option, open_runtime, user_errors
from bot.cli.tickets_read import find_or_fail, tickets_list, tickets_show
from bot.desk import agent_commands
from bot.desk.agent_commands import AgentCommand
from bot.store.db import transaction

LEAD = "lead@console"


@click.group()
def tickets() -> None:
    """List, show and act on tickets."""


tickets.add_command(tickets_list)
tickets.add_command(tickets_show)


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
