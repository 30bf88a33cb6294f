"""`atiende hours status` and `atiende sla due`: check the calendar and SLAs from a shell."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import click

from bot.cli.base import config_option, parse_when, read_config, user_errors
from bot.config.scheduling import calendar_from_config, sla_rules
from bot.store.models import PRIORITIES
from scheduler.business_hours import is_open, next_closing, next_opening
from scheduler.sla import first_response_due, sla_clock


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@click.group()
def hours() -> None:
    """Business hours."""


@hours.command("status")
@click.option("--at", "at", default=None, metavar="ISO8601", help="the moment (default: now)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@config_option
@user_errors
def hours_status(at: str | None, as_json: bool, config_path: str | None) -> None:
    """Open or closed, and the next opening and closing."""
    config = read_config(config_path)
    zone = ZoneInfo(config.business_hours.timezone)
    moment = (parse_when(at) or datetime.now(UTC)).astimezone(zone)
    calendar = calendar_from_config(config.business_hours)
    result = {"open": is_open(calendar, moment),
              "next_opening": iso(next_opening(calendar, moment)),
              "next_closing": iso(next_closing(calendar, moment)),
              "timezone": config.business_hours.timezone}
    if as_json:
        click.echo(json.dumps(result))
        return
    state = "open" if result["open"] else "closed"
    click.echo(f"{moment.isoformat()} ({result['timezone']}): {state}\n"
               f"  next opening: {result['next_opening']}\n"
               f"  next closing: {result['next_closing']}")


@click.group()
def sla() -> None:
    """Service-level targets."""


@sla.command("due")
@click.option("--priority", type=click.Choice(PRIORITIES), required=True)
@click.option("--vip", is_flag=True, help="the VIP table (and 24/7 for critical/emergency)")
@click.option("--category", default=None, help="e.g. emergency")
@click.option("--at", "at", required=True, metavar="ISO8601", help="when the ticket arrives")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@config_option
@user_errors
def sla_due(priority: str, vip: bool, category: str | None, at: str, as_json: bool,
            config_path: str | None) -> None:
    """When the first response is due for a ticket arriving at --at."""
    config = read_config(config_path)
    zone = ZoneInfo(config.business_hours.timezone)
    moment = parse_when(at)
    assert moment is not None
    rules = sla_rules(config.sla)
    clock = sla_clock(calendar_from_config(config.business_hours), rules, vip, priority, category)
    due = first_response_due(clock, rules, moment, vip, priority).astimezone(zone)
    result = {"first_response_due_at": due.isoformat(), "business_time": clock.business}
    if as_json:
        click.echo(json.dumps(result))
    else:
        kind = "business time" if clock.business else "wall-clock, 24/7"
        click.echo(f"first response due {result['first_response_due_at']} ({kind})")
