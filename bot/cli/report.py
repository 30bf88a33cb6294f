"""`atiende report`: support figures for a period as a table, CSV, XLSX, JSON or HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from bot.cli.base import config_option, fail, parse_when, read_config, user_errors
from bot.config.root import AtiendeConfig
from bot.reports.figures import DIMENSIONS, TICKET_COLUMNS, build_report, ticket_rows
from bot.reports.period import Period, make_period

FORMATS = ("table", "csv", "xlsx", "json", "html")


def open_factory(config: AtiendeConfig) -> Any:
    """A session factory on the configured database, schema brought up to date."""
    from bot.app import timeouts_of
    from bot.store.db import make_engine, make_session_factory
    from bot.store.migrate import is_up_to_date, upgrade

    engine = make_engine(config.database.url, timeouts_of(config))
    if not is_up_to_date(engine):
        upgrade(engine)
    return make_session_factory(engine)


def report_period(config: AtiendeConfig, since: str | None, start_day: str | None,
                  end_day: str | None, now_text: str | None) -> Period:
    from scheduler.clock import SystemClock

    now = parse_when(now_text) or SystemClock().now()
    return make_period(now, ZoneInfo(config.business_hours.timezone), since, start_day, end_day)


@click.command("report")
@click.option("--since", default=None, metavar="AGE", help="the last 30d, 12w, 6m or 48h "
              "(default 30d)")
@click.option("--from", "start_day", default=None, metavar="DATE", help="first day (local)")
@click.option("--to", "end_day", default=None, metavar="DATE", help="last day, included")
@click.option("--by", type=click.Choice(DIMENSIONS), default=None, help="split the figures")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write to FILE instead of the terminal (needed for xlsx)")
@click.option("--now", "now_text", default=None, metavar="ISO8601",
              help="make the report as of this time (backlog, overdue SLAs)")
@config_option
@user_errors
def report(since: str | None, start_day: str | None, end_day: str | None, by: str | None,
           fmt: str, output: Path | None, now_text: str | None,
           config_path: str | None) -> None:
    """Volume, speed, SLA compliance, satisfaction, backlog aging and trend."""
    config = read_config(config_path)
    period = report_period(config, since, start_day, end_day, now_text)
    if fmt == "xlsx" and output is None:
        fail("--format xlsx needs -o FILE.xlsx")
    factory = open_factory(config)
    with factory() as session:
        figures = build_report(session, period, by)
        tickets = ticket_rows(session, period) if fmt == "xlsx" else []
    emit(figures, fmt, output, tickets)


def emit(figures: dict[str, Any], fmt: str, output: Path | None,
         tickets: list[tuple[Any, ...]]) -> None:
    from bot.reports import files as report_files
    from bot.reports import render as report_render

    if fmt == "xlsx":
        assert output is not None
        columns = [f"{name} (UTC)" if name.endswith("_at") else name for name in TICKET_COLUMNS]
        report_files.write_xlsx(figures, columns, tickets, output)
    elif fmt == "table" and output is None:
        from rich.console import Console

        Console().print(*report_render.rich_tables(figures))
    else:
        render = {"table": report_render.to_table, "csv": report_render.to_csv,
                  "json": report_render.to_json, "html": report_files.to_html}[fmt]
        text = render(figures)
        if output is None:
            click.echo(text, nl=not text.endswith("\n"))
        else:
            output.write_text(text, encoding="utf-8")
    if output is not None:
        click.echo(f"wrote {output}", err=True)
