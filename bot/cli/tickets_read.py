"""`atiende tickets list` and `tickets show N`: the desk read from a shell, in the desk's zone."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cli.base import config_option, open_runtime, user_errors
from bot.desk import agent_commands
from bot.desk.thread import Entry, customer_of, ticket_thread
from bot.store.models import PRIORITIES, TICKET_STATUSES, Ticket

CLOSED = ("resolved", "closed")


def iso(value: datetime | None, zone: tzinfo) -> str | None:
    return value.astimezone(zone).isoformat() if value is not None else None


def sla_due(ticket: Ticket) -> datetime | None:
    """The next SLA promise: the first response until it is given, then the resolution."""
    if ticket.status in CLOSED:
        return None
    return ticket.first_response_due_at if ticket.first_response_at is None \
        else ticket.resolution_due_at


def ticket_row(session: Session, ticket: Ticket, zone: tzinfo) -> dict[str, Any]:
    name, address = customer_of(session, ticket)
    return {"number": ticket.number, "status": ticket.status, "priority": ticket.priority,
            "category": ticket.category, "level": ticket.level, "vip": ticket.vip,
            "assignee": ticket.assignee, "subject": ticket.subject, "channel": ticket.channel,
            "customer": name or address, "customer_address": address,
            "rating": ticket.rating, "rating_comment": ticket.rating_comment,
            "created_at": iso(ticket.created_at, zone),
            "first_response_due_at": iso(ticket.first_response_due_at, zone),
            "resolution_due_at": iso(ticket.resolution_due_at, zone),
            "sla_due_at": iso(sla_due(ticket), zone)}


def find_or_fail(session: Session, number: int) -> Ticket:
    ticket = session.scalars(select(Ticket).where(Ticket.number == number)).first()
    if ticket is None:
        raise agent_commands.CommandError(f"no ticket #{number}")
    return ticket


@click.command("list")
@click.option("--status", type=click.Choice(TICKET_STATUSES), default=None)
@click.option("--open", "only_open", is_flag=True, help="not resolved or closed")
@click.option("--priority", type=click.Choice(PRIORITIES), default=None)
@click.option("--category", default=None)
@click.option("--channel", default=None, help="whatsapp, telegram, email, console…")
@click.option("--assignee", default=None, help="an agent's email")
@click.option("--json", "as_json", is_flag=True, help="a JSON array")
@config_option
@user_errors
def tickets_list(status: str | None, only_open: bool, priority: str | None,
                 category: str | None, channel: str | None, assignee: str | None,
                 as_json: bool, config_path: str | None) -> None:
    """Tickets, newest first: customer, channel, age and the SLA due time."""
    runtime = open_runtime(config_path)
    zone = ZoneInfo(runtime.config.business_hours.timezone)
    filters = {"status": status, "priority": priority, "category": category,
               "channel": channel, "assignee": assignee}
    stmt = select(Ticket).order_by(Ticket.id.desc())
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(Ticket, column) == value)
    if only_open:
        stmt = stmt.where(Ticket.status.not_in(CLOSED))
    with runtime.factory() as session:
        rows = [ticket_row(session, ticket, zone) for ticket in session.scalars(stmt)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    print_table(rows, runtime.clock.now())


COLUMNS = "{:<6} {:<17} {:<9} {:<14} {:<24} {:<9} {:>5}  {:<17} {}"


def print_table(rows: list[dict[str, Any]], now: datetime) -> None:
    click.echo(COLUMNS.format("#", "STATUS", "PRIORITY", "CATEGORY", "CUSTOMER", "CHANNEL",
                              "AGE", "SLA DUE", "SUBJECT"))
    for row in rows:
        due = row["sla_due_at"]
        late = "!" if due and datetime.fromisoformat(due) < now else ""
        click.echo(COLUMNS.format(
            f"#{row['number']}", row["status"], row["priority"], row["category"] or "—",
            (row["customer"] or "—")[:24], row["channel"],
            age(now - datetime.fromisoformat(row["created_at"])),
            f"{due[:16].replace('T', ' ')}{late}" if due else "—", row["subject"]))
    if not rows:
        click.echo("no tickets match")


def age(delta: Any) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h"
    return f"{minutes // (24 * 60)}d"


@click.command("show")
@click.argument("number", type=int)
@click.option("--json", "as_json", is_flag=True, help="one JSON object with the thread")
@config_option
@user_errors
def tickets_show(number: int, as_json: bool, config_path: str | None) -> None:
    """One ticket: its facts, then the conversation and its events, in the desk's time zone."""
    runtime = open_runtime(config_path)
    zone = ZoneInfo(runtime.config.business_hours.timezone)
    with runtime.factory() as session:
        ticket = find_or_fail(session, number)
        row = ticket_row(session, ticket, zone)
        thread = ticket_thread(session, ticket)
    if as_json:
        row["messages"] = [entry_json(entry, zone) for entry in thread]
        click.echo(json.dumps(row, ensure_ascii=False, indent=2))
        return
    print_ticket(row, thread, zone)


def entry_json(entry: Entry, zone: tzinfo) -> dict[str, Any]:
    return {"direction": entry.direction, "channel": entry.channel, "text": entry.text,
            "at": iso(entry.at, zone), "who": entry.who, "attachments": entry.attachments}


def print_ticket(row: dict[str, Any], thread: list[Entry], zone: tzinfo) -> None:
    click.echo(f"Ticket #{row['number']}: {row['subject']}\n"
               f"  {row['status']} · priority {row['priority']} · category "
               f"{row['category'] or '—'} · level {row['level']}{' · VIP' if row['vip'] else ''}\n"
               f"  customer: {row['customer'] or '—'} ({row['customer_address'] or '—'}) "
               f"on {row['channel']} · assignee: {row['assignee'] or '—'}\n"
               f"  created {short(row['created_at'])} · SLA due {short(row['sla_due_at'])} "
               f"({zone})\n")
    for entry in thread:
        when = entry.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        where = f" [{entry.channel}]" if entry.channel else ""
        mark = {"in": "›", "out": "‹", "event": "·"}[entry.direction]
        body = entry.text.strip().replace("\n", "\n      ")
        click.echo(f"{when} {mark} {entry.who}{where}: {body}")
        for name in entry.attachments:
            click.echo(f"      📎 {name}")


def short(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else "—"
