"""The report split by one dimension: category, priority, channel or agent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.reports.period import Period
from bot.reports.sla import sla_compliance
from bot.reports.sql import in_period, timing
from bot.store.models import OPEN_STATUSES, Rating, Ticket


def dimension(by: str) -> Any:
    """The ticket column behind `--by` (missing values get a name of their own)."""
    columns = {"category": func.coalesce(Ticket.category, "uncategorized"),
               "priority": Ticket.priority, "channel": Ticket.channel,
               "agent": func.coalesce(Ticket.assignee, "unassigned")}
    return columns[by]


def counts(session: Session, key: Any, where: list[Any]) -> dict[str, int]:
    stmt = select(key, func.count()).where(*where).group_by(key)
    return {str(group): int(count) for group, count in session.execute(stmt)}


def csat_by(session: Session, by: str, period: Period) -> dict[str, tuple[float | None, int]]:
    """Average score and responses per group; by agent means the agent who resolved."""
    key = func.coalesce(Rating.agent, "unassigned") if by == "agent" else dimension(by)
    stmt = (select(key, func.avg(Rating.score), func.count(Rating.score))
            .join(Ticket, Ticket.id == Rating.ticket_id)
            .where(*in_period(Rating.requested_at, period)).group_by(key))
    return {str(group): (round(float(avg), 2) if avg is not None else None, int(n))
            for group, avg, n in session.execute(stmt)}


def breakdown(session: Session, period: Period, by: str) -> dict[str, Any]:
    key = dimension(by)
    created_where = in_period(Ticket.created_at, period)
    resolved_where = in_period(Ticket.resolved_at, period)
    figures = {
        "tickets_created": counts(session, key, created_where),
        "tickets_resolved": counts(session, key, resolved_where),
        "open": counts(session, key, [Ticket.status.in_(OPEN_STATUSES)]),
        "first_response": timing(session, Ticket.first_response_minutes,
                                 Ticket.first_response_business_minutes, created_where, key),
        "resolution": timing(session, Ticket.resolution_minutes,
                             Ticket.resolution_business_minutes, resolved_where, key),
        "sla": sla_compliance(session, period, "first_response", key),
        "csat": csat_by(session, by, period),
    }
    groups = sorted(set().union(*(set(values) for values in figures.values())))
    return {"by": by, "groups": [group_entry(name, figures) for name in groups]}


def group_entry(name: str, figures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    def median(table: str, field: str = "median") -> float | None:
        return figures[table].get(name, {}).get(field)

    average, responses = figures["csat"].get(name, (None, 0))
    return {"key": name, "tickets_created": figures["tickets_created"].get(name, 0),
            "tickets_resolved": figures["tickets_resolved"].get(name, 0),
            "open": figures["open"].get(name, 0),
            "first_response_median": median("first_response"),
            "first_response_business_median": median("first_response", "business_median"),
            "resolution_median": median("resolution"),
            "resolution_business_median": median("resolution", "business_median"),
            "sla_compliance": figures["sla"].get(name), "csat_average": average,
            "csat_responses": responses}
