"""`atiende outbox list|retry`: what is queued, held or given up on, and a way to send it again."""

from __future__ import annotations

import json
from typing import Any

import click
from sqlalchemy import select

from bot.cli.base import config_option, fail, open_runtime, user_errors
from bot.engine.outbox import OUTBOX_STATUSES, retry_now
from bot.store.db import transaction
from bot.store.models import OutboxItem


@click.group()
def outbox() -> None:
    """Outbound messages: queued, held, delivered or failed for good (dead letters)."""


def item_row(item: OutboxItem) -> dict[str, Any]:
    return {"id": item.id, "channel": item.channel, "recipient": item.recipient,
            "kind": item.payload.get("kind", "reply"), "status": item.status,
            "attempts": item.attempts, "last_error": item.last_error,
            "ticket_id": item.ticket_id, "created_at": item.created_at.isoformat(),
            "next_attempt_at": item.next_attempt_at.isoformat(),
            "text": str(item.payload.get("text", ""))}


@outbox.command("list")
@click.option("--failed", is_flag=True, help="only dead letters (failed for good)")
@click.option("--status", type=click.Choice(OUTBOX_STATUSES), help="only rows in this status")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
@config_option
@user_errors
def list_rows(failed: bool, status: str | None, limit: int, as_json: bool,
              config_path: str | None) -> None:
    """Newest first: id, status, attempts, channel, recipient, kind and the last error."""
    wanted = "failed" if failed else status
    runtime = open_runtime(config_path)
    with runtime.factory() as session:
        stmt = select(OutboxItem).order_by(OutboxItem.id.desc()).limit(limit)
        if wanted:
            stmt = stmt.where(OutboxItem.status == wanted)
        rows = [item_row(item) for item in session.scalars(stmt)]
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(f"{row['id']}\t{row['status']}\t{row['attempts']}\t{row['channel']}\t"
                       f"{row['recipient']}\t{row['kind']}\t{row['last_error'] or ''}")
    if not rows and not as_json:
        click.echo("no outbox rows" + (f" with status {wanted}" if wanted else ""))


@outbox.command("retry")
@click.argument("item_id", type=int)
@config_option
@user_errors
def retry(item_id: int, config_path: str | None) -> None:
    """Queue a failed (or held) row again with fresh attempts; `atiende serve` sends it."""
    runtime = open_runtime(config_path)
    try:
        with transaction(runtime.factory) as session:
            item = retry_now(session, item_id, runtime.clock.now())
            click.echo(f"outbox {item.id}: queued again for {item.channel} {item.recipient}")
    except (LookupError, ValueError) as exc:
        fail(str(exc))
