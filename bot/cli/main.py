"""The `atiende` command line: serve, chat, db, kb; user mistakes exit 2 with one line."""

from __future__ import annotations

import logging

import click

from bot.cli.agents import agents
from bot.cli.hours import hours, sla
from bot.cli.kb import kb
from bot.cli.kb_learn import gaps, learned
from bot.cli.ops import chat, db, serve
from bot.cli.outbox import outbox
from bot.cli.quarantine import quarantine
from bot.cli.report import report
from bot.cli.telegram import telegram
from bot.cli.tickets import contacts, tickets
from bot.cli.triage import triage


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="log debug details")
def main(verbose: bool) -> None:
    """Atiende: the support desk's front line on WhatsApp, Telegram and email."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


kb.add_command(gaps)
kb.add_command(learned)
for command in (db, kb, chat, serve, hours, sla, tickets, contacts, telegram, report,
                quarantine, outbox, agents):
    main.add_command(command)
main.add_command(triage)   # issue 20: triage learned
