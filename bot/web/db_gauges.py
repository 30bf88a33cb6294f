"""Gauges read from the database at each scrape: what every worker and CLI action did shows."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.app import Runtime
from bot.engine.outbox import OUTBOX_STATUSES, count_by_status
from bot.store.models import OPEN_STATUSES, PRIORITIES, Ticket
from bot.web import metrics


def read_database_gauges(runtime: Runtime) -> None:
    """Outbox rows per status, open tickets per status and priority, breached SLAs."""
    try:
        with runtime.factory() as session:
            outbox = count_by_status(session)
            tickets = open_tickets(session)
            breached = breached_slas(session)
    except SQLAlchemyError:
        return  # /healthz reports the database; metrics still answer
    for status in OUTBOX_STATUSES:
        metrics.OUTBOX_ROWS.labels(status).set(outbox.get(status, 0))
    for status in OPEN_STATUSES:
        for priority in PRIORITIES:
            metrics.TICKETS_OPEN.labels(status, priority).set(tickets.get((status, priority), 0))
    for kind, count in breached.items():
        metrics.SLA_BREACHED.labels(kind).set(count)


def open_tickets(session: Session) -> dict[tuple[str, str], int]:
    rows = session.execute(select(Ticket.status, Ticket.priority, func.count())
                           .where(Ticket.status.in_(OPEN_STATUSES))
                           .group_by(Ticket.status, Ticket.priority))
    return {(status, priority): count for status, priority, count in rows}


def breached_slas(session: Session) -> dict[str, int]:
    """Open tickets whose first-response or resolution target has passed unmet."""
    active = Ticket.status.in_(OPEN_STATUSES)
    first = session.scalar(select(func.count()).where(
        active, Ticket.first_response_breached_at.is_not(None),
        Ticket.first_response_at.is_(None)))
    resolution = session.scalar(select(func.count()).where(
        active, Ticket.resolution_breached_at.is_not(None)))
    return {"first_response": first or 0, "resolution": resolution or 0}
