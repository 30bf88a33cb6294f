"""What the desk proposes and a person reviews (KB phrasings, triage examples): the shared
parts of `… learned list|approve|reject`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from bot.cli.base import config_option, read_config, user_errors

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


def learned_group(help_text: str, empty: str,
                  rows: Callable[[Any, str], list[dict[str, Any]]],
                  line: Callable[[dict[str, Any]], str]) -> click.Group:
    """A `learned` group whose bare call and `list` show the rows with a status; `empty` may
    name `{status}`. Approve and reject differ per kind and are added by the caller."""

    @click.group("learned", invoke_without_command=True, help=help_text)
    @config_option
    @click.pass_context
    def group(ctx: click.Context, config_path: str | None) -> None:
        if ctx.invoked_subcommand is None:
            ctx.invoke(listing, config_path=config_path)

    @group.command("list")
    @list_options
    @config_option
    @user_errors
    def listing(status: str = "pending", as_json: bool = False,
                config_path: str | None = None) -> None:
        """The entries with this status, oldest first."""
        with open_session(read_config(config_path)) as session:
            found = rows(session, status)
        echo_rows(found, as_json, empty.format(status=status), line)

    return group
