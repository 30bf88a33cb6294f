"""`atiende db upgrade`, `atiende chat` and `atiende serve`."""

from __future__ import annotations

import getpass
import sys

import click

from bot.cli.base import config_option, parse_when, read_config, user_errors
from scheduler.clock import Clock, FixedClock, SystemClock


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@config_option
@user_errors
def db_upgrade(config_path: str | None) -> None:
    """Create or migrate the schema to the newest revision."""
    from bot.app import timeouts_of
    from bot.store.db import make_engine
    from bot.store.migrate import current_revision, upgrade

    config = read_config(config_path)
    engine = make_engine(config.database.url, timeouts_of(config))
    upgrade(engine)
    click.echo(f"database at revision {current_revision(engine)}")


@click.command()
@click.option("--as", "address", default=lambda: f"console:{getpass.getuser()}",
              show_default="console:$USER",
              help="the customer's stable address, e.g. console:ana")
@click.option("--name", default=None, help="the customer's display name")
@click.option("--vip", is_flag=True, help="treat this customer as VIP")
@click.option("--now", "now", default=None, metavar="ISO8601", help="fix the clock for the run")
@click.option("--jsonl", is_flag=True, help="batch: one message per stdin line, JSON out")
@config_option
@user_errors
def chat(address: str, name: str | None, vip: bool, now: str | None, jsonl: bool,
         config_path: str | None) -> None:
    """Talk to the bot as a customer, in the terminal."""
    from bot.app import build_runtime
    from bot.cli.chat import ChatSession, run_batch, run_interactive

    fixed = parse_when(now)
    clock: Clock = FixedClock(fixed) if fixed else SystemClock()
    session = ChatSession(build_runtime(read_config(config_path), clock), address, name)
    if vip:
        session.mark_vip()
    if jsonl or not sys.stdin.isatty():
        run_batch(session, sys.stdin, sys.stdout)
    else:
        run_interactive(session)


@click.command()
@config_option
@user_errors
def serve(config_path: str | None) -> None:
    """Run the webhooks, health and metrics server and the background workers."""
    from bot.serve import run_server

    run_server(read_config(config_path))
