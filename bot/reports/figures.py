"""Support report figures (volume, speed, SLA, CSAT, backlog, trend), aggregated in SQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from bot.reports.breakdown import breakdown
from bot.reports.period import Period
from bot.reports.sla import backlog_aging, sla_compliance
from bot.reports.sql import bucket_start, count_if, in_period, ratio, timing
from bot.store.models import Conversation, Message, Rating, Ticket, TicketEvent

REOPEN_TARGET = 0.10
CSAT_TARGET = 4.5
MAX_COMMENTS = 20
DIMENSIONS = ("category", "priority", "channel", "agent")


def build_report(session: Session, period: Period, by: str | None = None) -> dict[str, Any]:
    """Every figure of the report as one JSON-ready dict (keys documented in the README)."""
    report: dict[str, Any] = {"period": describe_period(period, by)}
    report |= volume(session, period)
    report |= speed(session, period)
    report["sla_compliance"] = sla_compliance(session, period, "first_response")
    report["resolution_sla_compliance"] = sla_compliance(session, period, "resolution")
    report["breaches"] = {"first_response": report["sla_compliance"]["breached"],
                          "resolution": report["resolution_sla_compliance"]["breached"]}
    report["escalations"] = escalations(session, period)
    report["csat"] = csat(session, period)
    report["backlog_aging"] = backlog_aging(session, period)
    report["backlog_open"] = sum(report["backlog_aging"].values())
    report["trend"] = trend(session, period)
    if by is not None:
        report["breakdown"] = breakdown(session, period, by)
    return report


def describe_period(period: Period, by: str | None) -> dict[str, Any]:
    return {"from": period.start.isoformat(), "to": period.end.isoformat(),
            "generated_at": period.now.isoformat(), "timezone": period.zone.key, "by": by,
            "trend_unit": period.trend_unit}


def volume(session: Session, period: Period) -> dict[str, Any]:
    """Conversations, tickets, deflection (KB-resolved, no ticket), handoff and reopen rates."""
    linked = exists().where(Message.conversation_id == Conversation.id,
                            Message.ticket_id.is_not(None))
    conversations, deflected, handed = session.execute(
        select(func.count(), count_if(and_(Conversation.resolved_by_bot.is_(True), ~linked)),
               count_if(linked)).where(*in_period(Conversation.created_at, period))).one()
    finished = or_(Ticket.resolved_at.is_not(None), Ticket.closed_at.is_not(None),
                   Ticket.reopen_count > 0)
    created, done, reopened = session.execute(
        select(func.count(), count_if(finished), count_if(Ticket.reopen_count > 0))
        .where(*in_period(Ticket.created_at, period))).one()
    resolved = session.scalar(select(func.count())
                              .where(*in_period(Ticket.resolved_at, period))) or 0
    return {"conversations": conversations, "tickets_created": created,
            "tickets_resolved": resolved, "bot_resolved": deflected, "handoffs": handed,
            "deflection_rate": ratio(deflected, conversations),
            "handoff_rate": ratio(handed, conversations), "reopened": reopened,
            "reopen_rate": ratio(reopened, done), "reopen_target": REOPEN_TARGET}


def speed(session: Session, period: Period) -> dict[str, Any]:
    """First response (tickets created in the period) and resolution (resolved in it)."""
    created = in_period(Ticket.created_at, period)
    resolved = [*in_period(Ticket.resolved_at, period)]
    return {"first_response_minutes": timing(session, Ticket.first_response_minutes,
                                             Ticket.first_response_business_minutes, created),
            "resolution_minutes": timing(session, Ticket.resolution_minutes,
                                         Ticket.resolution_business_minutes, resolved)}


def escalations(session: Session, period: Period) -> int:
    stmt = select(func.count()).where(TicketEvent.action == "escalated",
                                      *in_period(TicketEvent.at, period))
    return session.scalar(stmt) or 0


def csat(session: Session, period: Period) -> dict[str, Any]:
    """Ratings asked in the period: average, distribution 1–5, response rate, comments."""
    where = in_period(Rating.requested_at, period)
    requests, responses, average = session.execute(
        select(func.count(), func.count(Rating.score), func.avg(Rating.score)).where(*where)).one()
    counts = dict(session.execute(select(Rating.score, func.count()).where(
        *where, Rating.score.is_not(None)).group_by(Rating.score)).all())
    return {"average": round(float(average), 2) if average is not None else None,
            "responses": responses, "requests": requests,
            "response_rate": ratio(responses, requests), "target": CSAT_TARGET,
            "distribution": {str(score): int(counts.get(score, 0)) for score in range(1, 6)},
            "comments": comments(session, where)}


def comments(session: Session, where: list[Any]) -> list[dict[str, Any]]:
    stmt = (select(Ticket.number, Rating.score, Rating.comment, Rating.agent, Rating.rated_at)
            .join(Ticket, Ticket.id == Rating.ticket_id)
            .where(*where, Rating.comment.is_not(None), Rating.comment != "")
            .order_by(Rating.rated_at.desc(), Rating.id.desc()).limit(MAX_COMMENTS))
    return [{"ticket": number, "score": score, "comment": text, "agent": agent,
             "at": at.isoformat() if at else None}
            for number, score, text, agent, at in session.execute(stmt)]


def trend(session: Session, period: Period) -> dict[str, Any]:
    """Created vs resolved per local week (Monday) or month."""
    created = bucket_counts(session, Ticket.created_at, period)
    resolved = bucket_counts(session, Ticket.resolved_at, period)
    starts = sorted(set(created) | set(resolved) | set(bucket_labels(period)))
    return {"unit": period.trend_unit,
            "periods": [{"start": start, "created": created.get(start, 0),
                         "resolved": resolved.get(start, 0)} for start in starts]}


def bucket_counts(session: Session, column: Any, period: Period) -> dict[str, int]:
    bucket = bucket_start(session, column, period).label("bucket")
    stmt = select(bucket, func.count()).where(*in_period(column, period)).group_by(bucket)
    return {str(start): int(count) for start, count in session.execute(stmt)}


def bucket_labels(period: Period) -> list[str]:
    """Every week or month of the period, so quiet ones show as zero."""
    first = period.start.astimezone(period.zone).date()
    last = (period.end - timedelta(microseconds=1)).astimezone(period.zone).date()
    if period.trend_unit == "month":
        months = (last.year - first.year) * 12 + last.month - first.month
        return [f"{first.year + (first.month - 1 + i) // 12:04d}-"
                f"{(first.month - 1 + i) % 12 + 1:02d}-01" for i in range(months + 1)]
    monday = first - timedelta(days=first.weekday())
    weeks = (last - monday).days // 7
    return [(monday + timedelta(weeks=i)).isoformat() for i in range(weeks + 1)]


def ticket_rows(session: Session, period: Period) -> list[tuple[Any, ...]]:
    """The tickets created in the period, for the spreadsheet's ticket list."""
    stmt = (select(*TICKET_COLUMNS.values()).where(*in_period(Ticket.created_at, period))
            .order_by(Ticket.number))
    return [tuple(row) for row in session.execute(stmt)]


TICKET_COLUMNS: dict[str, Any] = {
    "number": Ticket.number, "created_at": Ticket.created_at, "status": Ticket.status,
    "priority": Ticket.priority, "category": Ticket.category, "channel": Ticket.channel,
    "vip": Ticket.vip, "level": Ticket.level, "assignee": Ticket.assignee,
    "subject": Ticket.subject, "first_response_minutes": Ticket.first_response_minutes,
    "first_response_business_minutes": Ticket.first_response_business_minutes,
    "resolution_minutes": Ticket.resolution_minutes,
    "resolution_business_minutes": Ticket.resolution_business_minutes,
    "first_response_due_at": Ticket.first_response_due_at, "resolved_at": Ticket.resolved_at,
    "reopen_count": Ticket.reopen_count, "rating": Ticket.rating,
}
