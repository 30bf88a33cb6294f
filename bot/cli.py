"""The `atiende` command line: serve, chat, db, kb; user mistakes exit 2 with one line."""

from __future__ import annotations

import logging

import click

from bot.cli_agents import agents
from bot.cli_kb import kb
from bot.cli_ops import chat, db, serve
from bot.cli_outbox import outbox
from bot.cli_quarantine import quarantine
from bot.cli_report import report
from bot.cli_telegram import telegram
from bot.cli_tickets import contacts, tickets
from bot.cli_time import hours, sla


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="log debug details")
def main(verbose: bool) -> None:
    """Atiende: the support desk's front line on WhatsApp, Telegram and email."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


for command in (db, kb, chat, serve, hours, sla, tickets, contacts, telegram, report,
                quarantine, outbox, agents):
    main.add_command(command)
