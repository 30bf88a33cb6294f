"""SLA compliance (per priority and tier) and the colour-coded aging of the open backlog."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.reports.period import Period
from bot.reports.sql import count_if, in_period, ratio
from bot.store.models import OPEN_STATUSES, PRIORITIES, Ticket

TIERS = {False: "regular", True: "vip"}
AGING_COLOURS = ("green", "blue", "yellow", "orange", "red")
ORANGE_DAYS = 20
RED_DAYS = 30


def sla_terms(kind: str) -> tuple[Any, Any]:
    """(due, done) columns: first response, or resolution (resolved, else closed)."""
    if kind == "first_response":
        return Ticket.first_response_due_at, Ticket.first_response_at
    return Ticket.resolution_due_at, func.coalesce(Ticket.resolved_at, Ticket.closed_at)


def met_and_breached(kind: str, period: Period) -> tuple[Any, Any]:
    """Met: done by the due time. Breached: done late, or not done and already due."""
    due, done = sla_terms(kind)
    met = and_(done.is_not(None), done <= due)
    breached = or_(and_(done.is_not(None), done > due), and_(done.is_(None), due <= period.now))
    return met, breached


def sla_compliance(session: Session, period: Period, kind: str,
                   group: Any = None) -> dict[str, Any]:
    """Share of tickets created in the period that met the SLA (pending ones not counted)."""
    met, breached = met_and_breached(kind, period)
    due, _ = sla_terms(kind)
    keys = [Ticket.priority, Ticket.vip] if group is None else [group]
    stmt = (select(*keys, count_if(met), count_if(breached))
            .where(*in_period(Ticket.created_at, period), due.is_not(None)).group_by(*keys))
    rows = [tuple(row) for row in session.execute(stmt)]
    if group is not None:
        return {str(key): ratio(m, m + b) for key, m, b in rows}
    return summarise(rows)


def summarise(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    """From (priority, vip, met, breached) rows: overall, per priority, per tier, per both."""
    met = sum(row[2] for row in rows)
    breached = sum(row[3] for row in rows)
    return {"overall": ratio(met, met + breached), "met": met, "breached": breached,
            "by_priority": {p: share(rows, lambda r, p=p: r[0] == p) for p in PRIORITIES},
            "by_tier": {name: share(rows, lambda r, v=vip: bool(r[1]) == v)
                        for vip, name in TIERS.items()},
            "by_tier_priority": {name: {p: share(rows, lambda r, v=vip, p=p: (
                bool(r[1]) == v and r[0] == p)) for p in PRIORITIES}
                for vip, name in TIERS.items()}}


def share(rows: list[tuple[Any, ...]], wanted: Any) -> float | None:
    picked = [row for row in rows if wanted(row)]
    met = sum(row[2] for row in picked)
    return ratio(met, met + sum(row[3] for row in picked))


def next_due() -> Any:
    """The service date an open ticket is measured against: first response, then resolution."""
    return case((Ticket.first_response_at.is_(None), Ticket.first_response_due_at),
                else_=Ticket.resolution_due_at)


def aging_colour(period: Period) -> Any:
    due = next_due()
    return case(
        (Ticket.created_at <= period.now - timedelta(days=RED_DAYS), "red"),
        (Ticket.created_at <= period.now - timedelta(days=ORANGE_DAYS), "orange"),
        (and_(due.is_not(None), due < period.now), "yellow"),
        (and_(due.is_not(None), due < period.local_today_end()), "blue"),
        else_="green")


def backlog_aging(session: Session, period: Period) -> dict[str, int]:
    """Open tickets now: green due later, blue due today, yellow overdue, orange ≥ 20 days
    old, red ≥ 30 days old (the oldest colour wins)."""
    colour = aging_colour(period).label("colour")
    stmt = (select(colour, func.count()).where(Ticket.status.in_(OPEN_STATUSES))
            .group_by(colour))
    counts = dict(session.execute(stmt).all())
    return {name: int(counts.get(name, 0)) for name in AGING_COLOURS}
