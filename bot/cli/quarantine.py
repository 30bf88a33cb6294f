"""`atiende quarantine list|show|replay`: mail that could not be read, kept with its bytes."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from sqlalchemy import select

from bot.cli.base import config_option, fail, open_runtime, user_errors
from bot.errors import AtiendeError
from bot.store.db import transaction
from bot.store.models import QuarantineItem
from channels.base import UnparseableEmail

if TYPE_CHECKING:
    from bot.app import Runtime

PREVIEW_BYTES = 2000


@click.group()
def quarantine() -> None:
    """Inbound input that could not be read: nothing is dropped, everything can be replayed."""


@quarantine.command("list")
@click.option("--all", "show_all", is_flag=True, help="include items already replayed")
@config_option
@user_errors
def list_items(show_all: bool, config_path: str | None) -> None:
    """One line per item: id, when, source, size and reason."""
    runtime = open_runtime(config_path)
    with runtime.factory() as session:
        stmt = select(QuarantineItem).order_by(QuarantineItem.id)
        if not show_all:
            stmt = stmt.where(QuarantineItem.replayed_at.is_(None))
        items = list(session.scalars(stmt))
    for item in items:
        state = f" (replayed {item.replayed_at:%Y-%m-%d %H:%M})" if item.replayed_at else ""
        click.echo(f"{item.id}\t{item.at:%Y-%m-%d %H:%M}\t{item.source}\t{len(item.raw)} B\t"
                   f"{item.reason.splitlines()[0]}{state}")
    if not items:
        click.echo("quarantine is empty")


@quarantine.command("show")
@click.argument("item_id", type=int)
@click.option("--raw", "raw_out", is_flag=True, help="write the exact bytes to stdout")
@config_option
@user_errors
def show(item_id: int, raw_out: bool, config_path: str | None) -> None:
    """The reason and the start of the raw input (or all of it with --raw)."""
    item = find(open_runtime(config_path), item_id)
    if raw_out:
        sys.stdout.buffer.write(item.raw)
        return
    click.echo(f"id: {item.id}\nsource: {item.source}\nat: {item.at.isoformat()}\n"
               f"size: {len(item.raw)} bytes\nreplayed: "
               f"{item.replayed_at.isoformat() if item.replayed_at else 'no'}\n"
               f"reason: {item.reason}\n{envelope_lines(item)}")
    click.echo(item.raw[:PREVIEW_BYTES].decode("utf-8", errors="replace"))


@quarantine.command("replay")
@click.argument("item_id", type=int)
@config_option
@user_errors
def replay(item_id: int, config_path: str | None) -> None:
    """Run the item through its channel again (after a fix or a config change)."""
    runtime = open_runtime(config_path)
    item = find(runtime, item_id)
    if not item.source.startswith("email"):
        fail(f"quarantine item {item_id}: no replay for source {item.source!r}")
    try:
        outcome = replay_item(runtime, item_id)
    except UnparseableEmail as exc:
        fail(f"quarantine item {item_id} still cannot be read: {exc}", code=1)
        return
    click.echo(f"quarantine item {item_id} replayed: {outcome}")


def find(runtime: Runtime, item_id: int) -> QuarantineItem:
    with runtime.factory() as session:
        item = session.get(QuarantineItem, item_id)
    if item is None:
        raise AtiendeError(f"no quarantine item {item_id} (see `atiende quarantine list`)")
    return item


def envelope_lines(item: QuarantineItem) -> str:
    """The SMTP envelope, when the mail came over SMTP (a null sender shows as <>)."""
    if not item.envelope:
        return ""
    sender = item.envelope.get("mail_from")
    recipients = ", ".join(item.envelope.get("rcpt_tos") or ()) or "-"
    return f"envelope: MAIL FROM:<{sender or ''}> RCPT TO: {recipients}\n"


def replay_item(runtime: Runtime, item_id: int) -> str:
    """Through the email channel again, with the SMTP envelope it came with; the outcome kind
    ('customer', 'automated', 'duplicate', …). Marked replayed when it went through;
    UnparseableEmail when it still cannot be read."""
    from bot.channel_context import build_channel_context
    from channels.email.ingest import Envelope
    from channels.email.plugin import build_intake

    item = find(runtime, item_id)
    section = runtime.config.channels.email
    if section is None:
        raise AtiendeError("channels.email: the email channel has no section in config.yaml")
    intake = build_intake(section, build_channel_context(runtime))
    outcome = intake.receive_sync(item.raw, Envelope.from_record(item.envelope), item.source,
                                  keep_failures=False)
    with transaction(runtime.factory) as session:
        stored = session.get(QuarantineItem, item_id)
        assert stored is not None
        stored.replayed_at = runtime.clock.now()
    return outcome.kind
