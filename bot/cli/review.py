"""What the desk proposes and a person reviews (KB phrasings, triage examples): the shared
parts of `… learned list|approve|reject`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
STATUSES = ("pending", "approved", "rejected")


def list_options(func: F) -> F:
    """`--status` (default pending) and `--json`, as every `learned list` takes them."""
    func = click.option("--json", "as_json", is_flag=True, help="one JSON array on stdout")(func)
    return click.option("--status", type=click.Choice(STATUSES), default="pending",
                        show_default=True)(func)


def open_session(config: Any) -> Any:
    from bot.cli.report import open_factory

    return open_factory(config)()


def echo_rows(rows: list[dict[str, Any]], as_json: bool, empty: str,
              line: Callable[[dict[str, Any]], str]) -> None:
    """One JSON array, or one line a row (`empty` when there is none)."""
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        click.echo(empty)
    for row in rows:
        click.echo(line(row))
