"""`atiende triage learned`: agents' corrections waiting to become triage examples."""

from __future__ import annotations

from typing import Any

import click

from bot.cli.base import config_option, fail, read_config, user_errors
from bot.cli.review import learned_group, open_session


@click.group("triage")
def triage() -> None:
    """Ticket triage: the examples agents' corrections teach it."""


def example_rows(session: Any, status: str) -> list[dict[str, Any]]:
    from bot.desk.triage_learning import listed

    return [_to_json(e) for e in listed(session, status)]


def example_line(row: dict[str, Any]) -> str:
    return (f"{row['id']:5}  {row['category']}/{row['priority']}  \"{row['text']}\"  "
            f"(ticket {row['ticket_id']}, by {row['proposed_by']})")


def _to_json(example: Any) -> dict[str, Any]:
    return {"id": example.id, "text": example.text, "category": example.category,
            "priority": example.priority, "status": example.status,
            "proposed_by": example.proposed_by, "ticket_id": example.ticket_id,
            "at": example.at.isoformat()}


learned = learned_group(
    "Category/priority corrections made by agents: list, approve or reject them.",
    "no {status} triage examples", example_rows, example_line)
triage.add_command(learned)


def _decide(example_id: int, approve: bool, config_path: str | None) -> None:
    from bot.desk.triage_learning import ExampleError, decide
    from scheduler.clock import SystemClock

    with open_session(read_config(config_path)) as session:
        try:
            example = decide(session, example_id, approve, SystemClock().now())
        except ExampleError as exc:
            fail(str(exc))
        session.commit()
        click.echo(f"triage example {example.id} {example.status}: "
                   f"{example.category}/{example.priority} \"{example.text}\"")


@learned.command("approve")
@click.argument("example_id", type=int)
@config_option
@user_errors
def learned_approve(example_id: int, config_path: str | None) -> None:
    """Use the example: triage is refitted with it at its next message."""
    _decide(example_id, True, config_path)


@learned.command("reject")
@click.argument("example_id", type=int)
@config_option
@user_errors
def learned_reject(example_id: int, config_path: str | None) -> None:
    """Drop the example."""
    _decide(example_id, False, config_path)
