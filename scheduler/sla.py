"""SLA arithmetic (pure): first-response and resolution due times, pauses, ladder deadlines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.business_hours import BusinessCalendar, add_business_time, business_minutes_between


@dataclass(frozen=True)
class PriorityMinutes:
    """An SLA table: minutes allowed per ticket priority."""

    critical: int
    high: int
    medium: int
    low: int


@dataclass(frozen=True)
class SlaTiers:
    """One SLA target (first response or resolution) for regular and VIP customers."""

    regular: PriorityMinutes
    vip: PriorityMinutes


@dataclass(frozen=True)
class SlaRules:
    """Every SLA target, and whether VIP critical tickets and emergencies count 24/7."""

    first_response: SlaTiers
    resolution: SlaTiers
    vip_emergency_24x7: bool = True


@dataclass(frozen=True)
class LadderRung:
    """After `after_minutes` ("business" or "wall" clock) without agent activity, `from_`
    priority becomes `to`."""

    from_: str
    to: str
    after_minutes: int
    clock: str = "business"


@dataclass(frozen=True)
class SlaClock:
    """How a ticket's time is counted: business time on the calendar, or wall-clock 24/7."""

    calendar: BusinessCalendar
    business: bool

    def add(self, start: datetime, minutes: float) -> datetime:
        if self.business:
            return add_business_time(self.calendar, start, minutes)
        return start + timedelta(minutes=minutes)

    def minutes_between(self, start: datetime, end: datetime) -> float:
        if self.business:
            return business_minutes_between(self.calendar, start, end)
        return (end - start).total_seconds() / 60


def is_round_the_clock(sla: SlaRules, vip: bool, priority: str, category: str | None) -> bool:
    """VIP critical tickets and VIP emergencies count wall-clock time (24/7)."""
    return vip and sla.vip_emergency_24x7 and (priority == "critical" or category == "emergency")


def sla_clock(calendar: BusinessCalendar, sla: SlaRules, vip: bool, priority: str,
              category: str | None) -> SlaClock:
    return SlaClock(calendar, not is_round_the_clock(sla, vip, priority, category))


def target_minutes(table: PriorityMinutes, priority: str) -> int:
    return int(getattr(table, priority))


def first_response_target(sla: SlaRules, vip: bool, priority: str) -> int:
    tier = sla.first_response.vip if vip else sla.first_response.regular
    return target_minutes(tier, priority)


def resolution_target(sla: SlaRules, vip: bool, priority: str) -> int:
    tier = sla.resolution.vip if vip else sla.resolution.regular
    return target_minutes(tier, priority)


def first_response_due(clock: SlaClock, sla: SlaRules, start: datetime, vip: bool,
                       priority: str) -> datetime:
    return clock.add(start, first_response_target(sla, vip, priority))


def resolution_due(clock: SlaClock, sla: SlaRules, start: datetime, vip: bool,
                   priority: str) -> datetime:
    return clock.add(start, resolution_target(sla, vip, priority))


def ladder_step(ladder: Sequence[LadderRung], priority: str) -> LadderRung | None:
    return next((step for step in ladder if step.from_ == priority), None)


def ladder_due(calendar: BusinessCalendar, step: LadderRung, since: datetime) -> datetime:
    """When a ticket untouched since `since` climbs this step of the priority ladder."""
    clock = SlaClock(calendar, step.clock == "business")
    return clock.add(since, step.after_minutes)


def shift_for_pause(clock: SlaClock, due: datetime | None, paused_at: datetime,
                    resumed_at: datetime) -> datetime | None:
    """A due time moved later by the (business or wall) time the ticket spent paused."""
    if due is None:
        return None
    return clock.add(due, clock.minutes_between(paused_at, resumed_at))
