"""Report figures on a seeded desk with known answers (wall and business time), both databases.

The dataset: 20 tickets created 2026-11-02..27 (Bogotá), one before and two around the period,
28 conversations in it, 13 rating requests. Mondays 2 and 16 November are Colombian holidays.
The report is made on Monday 2026-11-30 09:00 for --from 2026-11-02 --to 2026-11-27.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.app import Runtime
from bot.reports.figures import build_report
from bot.reports.period import Period, make_period
from bot.store.db import transaction
from bot.store.models import Contact, Conversation, Message, Rating, Ticket, TicketEvent
from scheduler.business_hours import business_minutes_between
from tests.conftest import BOGOTA

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=BOGOTA)


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2026-{text}").replace(tzinfo=BOGOTA)


@dataclass(frozen=True)
class Spec:
    """One seeded ticket: times are local; first/resolved are wall-clock minutes or moments."""

    number: int
    created: str
    priority: str
    category: str
    channel: str
    status: str
    vip: bool = False
    agent: str | None = None
    first: int | str | None = None
    resolved: int | str | None = None
    reopens: int = 0
    ratings: tuple[tuple[int | None, str | None], ...] = ()


ANA, LUIS = "ana@example.com", "luis@example.com"
SPECS = (
    Spec(0, "10-20T10:00", "medium", "billing", "email", "closed", agent=ANA, first=30,
         resolved="10-21T10:00", ratings=((1, None),)),
    Spec(1, "11-10T09:00", "medium", "billing", "whatsapp", "closed", agent=ANA, first=30,
         resolved=120, ratings=((5, "Muy rápido, gracias"),)),
    Spec(2, "11-10T10:00", "high", "technical", "telegram", "closed", agent=ANA, first=60,
         resolved=240, ratings=((4, None),)),
    Spec(3, "11-11T08:00", "low", "functional", "email", "resolved", agent=LUIS, first=90,
         resolved=480, ratings=((3, None),)),
    Spec(4, "11-11T09:00", "critical", "emergency", "whatsapp", "closed", vip=True, agent=LUIS,
         first=20, resolved=60, ratings=((5, None),)),
    Spec(5, "11-12T10:00", "medium", "account", "console", "closed", agent=ANA, first=45,
         resolved=300, ratings=((2, "No resolvieron nada"),)),
    Spec(6, "11-13T13:00", "medium", "billing", "email", "closed", agent=ANA,
         first="11-17T09:00", resolved="11-17T12:00", ratings=((4, None),)),
    Spec(7, "11-17T09:00", "high", "technical", "telegram", "resolved", agent=ANA, first=300,
         resolved="11-18T09:00", ratings=((None, None),)),
    Spec(8, "11-17T10:00", "low", "suggestion", "whatsapp", "open"),
    Spec(9, "11-18T09:00", "medium", "billing", "whatsapp", "resolved", agent=LUIS, first=15,
         resolved=90, ratings=((5, "Excelente atención"),)),
    Spec(10, "11-19T10:00", "medium", "technical", "email", "resolved", agent=LUIS, first=120,
         resolved="11-20T10:00", ratings=((1, "Pésimo"),)),
    Spec(11, "11-10T08:00", "medium", "functional", "console", "in_progress", agent=ANA,
         first=200),
    Spec(12, "11-26T08:00", "medium", "training", "telegram", "in_progress", agent=LUIS,
         first=500),
    Spec(13, "11-23T10:00", "high", "account", "whatsapp", "resolved", vip=True, agent=ANA,
         first=10, resolved=30, ratings=((5, None),)),
    Spec(14, "11-23T08:00", "medium", "customization", "email", "resolved", agent=LUIS,
         first=240, resolved=360, ratings=((4, "Bien, pero tardaron"),)),
    Spec(15, "11-24T08:00", "low", "billing", "console", "resolved", agent=ANA, first=35,
         resolved="11-25T09:00", reopens=1, ratings=((None, None), (3, None))),
    Spec(16, "11-25T08:00", "medium", "technical", "whatsapp", "waiting_customer", agent=ANA,
         first=480),
    Spec(17, "11-23T09:00", "high", "technical", "telegram", "open", agent=LUIS, first=25,
         reopens=1),
    Spec(18, "11-27T13:30", "critical", "emergency", "whatsapp", "open"),
    Spec(19, "11-27T10:00", "low", "training", "email", "open"),
    Spec(20, "11-26T10:00", "high", "technical", "whatsapp", "open", vip=True),
    Spec(21, "11-28T10:00", "medium", "billing", "console", "open"),
    Spec(22, "10-26T10:00", "low", "account", "email", "open"),
)
ESCALATIONS = (("11-17T13:00", 7), ("11-20T10:00", 10), ("11-26T11:00", 20), ("10-27T10:00", 22))
KB_CONVERSATIONS = ("11-03T10:00", "11-09T11:00", "11-12T15:00", "11-18T16:00", "11-24T09:30",
                    "11-26T12:00")  # resolved by the bot; two more are abandoned
ABANDONED = ("11-05T10:00", "11-20T16:30")


def moment(created: datetime, value: int | str | None) -> datetime | None:
    if value is None:
        return None
    return created + timedelta(minutes=value) if isinstance(value, int) else at(value)


def add_conversation(session: Any, contact: Contact, when: datetime, channel: str,
                     ticket_id: int | None = None, by_bot: bool = False) -> Conversation:
    conversation = Conversation(contact_id=contact.id, channel=channel, address="x", state="idle",
                                context={}, resolved_by_bot=by_bot, created_at=when,
                                updated_at=when)
    session.add(conversation)
    session.flush()
    for index in range(2):
        session.add(Message(direction="in", channel=channel, sender="x",
                            provider_message_id=f"m{conversation.id}-{index}",
                            contact_id=contact.id, conversation_id=conversation.id,
                            ticket_id=ticket_id if index else None, text="hola", attachments=[],
                            raw={}, status="processed", created_at=when))
    return conversation


def add_ticket(session: Any, runtime: Runtime, contact: Contact, spec: Spec) -> Ticket:
    created = at(spec.created)
    ticket = Ticket(number=spec.number, contact_id=contact.id, channel=spec.channel,
                    subject=f"Ticket {spec.number}", category=spec.category,
                    priority=spec.priority, status=spec.status, vip=spec.vip,
                    assignee=spec.agent, language="es", reopen_count=spec.reopens,
                    created_at=created, updated_at=created)
    session.add(ticket)
    session.flush()
    runtime.ctx.desk.refresh(ticket)
    set_times(ticket, runtime, spec)
    if spec.status == "closed":
        ticket.closed_at = ticket.resolved_at + timedelta(days=2)
    return ticket


def set_times(ticket: Ticket, runtime: Runtime, spec: Spec) -> None:
    calendar, created = runtime.ctx.calendar, ticket.created_at
    first, resolved = moment(created, spec.first), moment(created, spec.resolved)
    if first is not None:
        ticket.first_response_at = first
        ticket.first_response_minutes = (first - created).total_seconds() / 60
        ticket.first_response_business_minutes = business_minutes_between(calendar, created, first)
    if resolved is not None:
        ticket.resolved_at = resolved
        ticket.resolution_minutes = (resolved - created).total_seconds() / 60
        ticket.resolution_business_minutes = business_minutes_between(calendar, created, resolved)
    elif spec.reopens:
        ticket.resolution_minutes = ticket.resolution_business_minutes = 100.0  # stale, reopened


def add_ratings(session: Any, ticket: Ticket, spec: Spec) -> None:
    for resolution, (score, comment) in enumerate(spec.ratings):
        asked = ticket.resolved_at - timedelta(hours=len(spec.ratings) - 1 - resolution)
        session.add(Rating(ticket_id=ticket.id, contact_id=ticket.contact_id,
                           resolution=resolution, channel=ticket.channel, language="es",
                           agent=ticket.assignee, requested_at=asked, request_status="queued",
                           score=score, comment=comment, change_count=0,
                           rated_at=asked + timedelta(minutes=30) if score else None))


def seed(runtime: Runtime) -> None:
    with transaction(runtime.factory) as session:
        contact = Contact(name="Cliente", created_at=at("10-01T08:00"))
        session.add(contact)
        session.flush()
        for spec in SPECS:
            ticket = add_ticket(session, runtime, contact, spec)
            add_conversation(session, contact, ticket.created_at, spec.channel, ticket.id,
                             by_bot=spec.number == 9)
            add_ratings(session, ticket, spec)
        for text, by_bot in [(t, True) for t in KB_CONVERSATIONS] + [(t, False) for t in ABANDONED]:
            add_conversation(session, contact, at(text), "whatsapp", by_bot=by_bot)
        numbers = {t.number: t.id for t in session.query(Ticket)}
        for text, number in ESCALATIONS:
            session.add(TicketEvent(ticket_id=numbers[number], actor="bot", action="escalated",
                                    at=at(text), detail="seed"))


def period() -> Period:
    return make_period(NOW, BOGOTA, start_day="2026-11-02", end_day="2026-11-27")


@pytest.fixture
def report(runtime: Runtime) -> dict[str, Any]:
    seed(runtime)
    with runtime.factory() as session:
        return build_report(session, period(), by="priority")


def test_volume_deflection_handoff_and_reopen_rate(report: dict[str, Any]) -> None:
    assert {key: report[key] for key in ("conversations", "tickets_created", "tickets_resolved",
                                          "bot_resolved", "handoffs", "reopened")} == {
        "conversations": 28, "tickets_created": 20, "tickets_resolved": 12, "bot_resolved": 6,
        "handoffs": 20, "reopened": 2}
    assert report["deflection_rate"] == round(6 / 28, 4)
    assert report["handoff_rate"] == round(20 / 28, 4)
    assert report["reopen_rate"] == round(2 / 13, 4)  # of the 13 tickets ever resolved


def test_first_response_median_and_p90_in_wall_and_business_time(
        report: dict[str, Any]) -> None:
    # 16 answered: 10 15 20 25 30 35 45 60 90 120 200 240 300 480 500 5520 (Fri 13:00 → Tue
    # 09:00 across a weekend and the 16 November holiday = 120 business minutes).
    assert report["first_response_minutes"] == {
        "median": 75.0, "p90": 490.0, "business_median": 75.0, "business_p90": 390.0,
        "count": 16}


def test_resolution_median_and_p90_over_tickets_resolved_in_the_period(
        report: dict[str, Any]) -> None:
    # wall: 30 60 90 120 240 300 360 480 1440 1440 1500 5700; business: 30 60 90 120 240 300
    # 300 360 480 540 540 600. The reopened open ticket's stale time is left out.
    assert report["resolution_minutes"] == {
        "median": 330.0, "p90": 1494.0, "business_median": 300.0, "business_p90": 540.0,
        "count": 12}


def test_sla_compliance_per_priority_and_tier(report: dict[str, Any]) -> None:
    first = report["sla_compliance"]
    assert (first["overall"], first["met"], first["breached"]) == (round(14 / 18, 4), 14, 4)
    assert first["by_priority"] == {"low": round(2 / 3, 4), "medium": round(8 / 9, 4),
                                    "high": 0.6, "critical": 1.0}
    assert first["by_tier"] == {"regular": 0.8, "vip": round(2 / 3, 4)}
    assert first["by_tier_priority"] == {
        "regular": {"low": round(2 / 3, 4), "medium": round(8 / 9, 4), "high": round(2 / 3, 4),
                    "critical": None},
        "vip": {"low": None, "medium": None, "high": 0.5, "critical": 1.0}}
    resolution = report["resolution_sla_compliance"]
    assert (resolution["overall"], resolution["met"], resolution["breached"]) == (0.8, 12, 3)
    assert report["breaches"] == {"first_response": 4, "resolution": 3}
    assert report["escalations"] == 3


def test_satisfaction(report: dict[str, Any]) -> None:
    csat = report["csat"]
    assert {key: csat[key] for key in ("average", "responses", "requests", "response_rate",
                                       "distribution")} == {
        "average": round(41 / 11, 2), "responses": 11, "requests": 13,
        "response_rate": round(11 / 13, 4),
        "distribution": {"1": 1, "2": 1, "3": 2, "4": 3, "5": 4}}
    assert [(c["ticket"], c["score"], c["comment"]) for c in csat["comments"]] == [
        (14, 4, "Bien, pero tardaron"), (10, 1, "Pésimo"), (9, 5, "Excelente atención"),
        (5, 2, "No resolvieron nada"), (1, 5, "Muy rápido, gracias")]  # newest first


def test_backlog_aging_colours_as_of_now(report: dict[str, Any]) -> None:
    assert report["backlog_aging"] == {"green": 3, "blue": 2, "yellow": 3, "orange": 1, "red": 1}
    assert report["backlog_open"] == 10


def test_weekly_trend_of_created_and_resolved(report: dict[str, Any]) -> None:
    assert report["trend"] == {"unit": "week", "periods": [
        {"start": "2026-11-02", "created": 0, "resolved": 0},
        {"start": "2026-11-09", "created": 7, "resolved": 5},
        {"start": "2026-11-16", "created": 4, "resolved": 4},
        {"start": "2026-11-23", "created": 9, "resolved": 3}]}


def test_breakdown_by_priority(report: dict[str, Any]) -> None:
    groups = {group["key"]: group for group in report["breakdown"]["groups"]}
    assert list(groups) == ["critical", "high", "low", "medium"]
    assert groups["high"] == {
        "key": "high", "tickets_created": 5, "tickets_resolved": 3, "open": 2,
        "first_response_median": 42.5, "first_response_business_median": 42.5,
        "resolution_median": 240.0, "resolution_business_median": 240.0,
        "sla_compliance": 0.6, "csat_average": 4.5, "csat_responses": 2}
    assert groups["medium"] == {
        "key": "medium", "tickets_created": 9, "tickets_resolved": 6, "open": 4,
        "first_response_median": 200.0, "first_response_business_median": 120.0,
        "resolution_median": 330.0, "resolution_business_median": 300.0,
        "sla_compliance": round(8 / 9, 4), "csat_average": 3.5, "csat_responses": 6}
    assert (groups["low"]["first_response_median"], groups["low"]["resolution_median"],
            groups["low"]["resolution_business_median"]) == (62.5, 990.0, 540.0)
    assert (groups["critical"]["tickets_created"], groups["critical"]["open"]) == (2, 1)


def test_the_period_excludes_tickets_outside_it(runtime: Runtime) -> None:
    seed(runtime)
    later = make_period(NOW, BOGOTA, start_day="2026-11-28", end_day="2026-11-29")
    with runtime.factory() as session:
        figures = build_report(session, later)
    assert (figures["tickets_created"], figures["conversations"]) == (1, 1)  # ticket 21
    assert figures["csat"]["requests"] == 0 and figures["csat"]["average"] is None
    assert figures["deflection_rate"] == 0.0 and figures["reopen_rate"] is None
