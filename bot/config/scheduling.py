"""Config sections as the scheduler's plain values: the business calendar, SLA rules, the ladder."""

from __future__ import annotations

from bot.config.desk import EscalationConfig, SlaConfig, SlaTable
from bot.config.hours import BusinessHoursConfig, ExtraOpenDay, HolidaysConfig
from scheduler.business_hours import BusinessCalendar
from scheduler.schedule import HolidayRules, OpenDate, WeeklySchedule, build_calendar
from scheduler.sla import LadderRung, PriorityMinutes, SlaRules, SlaTiers


def holiday_rules(config: HolidaysConfig) -> HolidayRules:
    extra_open = tuple(OpenDate(entry.date, tuple(entry.hours))
                       if isinstance(entry, ExtraOpenDay) else OpenDate(entry)
                       for entry in config.extra_open)
    return HolidayRules(country=config.country, subdivision=config.subdivision,
                        extra_closed=frozenset(config.extra_closed), extra_open=extra_open)


def weekly_schedule(config: BusinessHoursConfig) -> WeeklySchedule:
    weekly = {day: tuple(ranges) for day, ranges in config.weekly.items()}
    return WeeklySchedule(config.timezone, weekly, holiday_rules(config.holidays))


def calendar_from_config(config: BusinessHoursConfig) -> BusinessCalendar:
    """The business_hours section as a calendar; build it once at start-up and share it."""
    return build_calendar(weekly_schedule(config))


def priority_minutes(table: SlaTable) -> PriorityMinutes:
    return PriorityMinutes(critical=table.critical, high=table.high, medium=table.medium,
                           low=table.low)


def sla_rules(config: SlaConfig) -> SlaRules:
    """The sla section as the scheduler's SLA rules."""
    first, resolution = config.first_response, config.resolution
    return SlaRules(
        first_response=SlaTiers(priority_minutes(first.regular), priority_minutes(first.vip)),
        resolution=SlaTiers(priority_minutes(resolution.regular),
                            priority_minutes(resolution.vip)),
        vip_emergency_24x7=config.vip_emergency_24x7)


def ladder_rules(config: EscalationConfig) -> tuple[LadderRung, ...]:
    """escalation.priority_ladder as the scheduler's ladder, in config order."""
    return tuple(LadderRung(step.from_, step.to, step.after_minutes, step.clock)
                 for step in config.priority_ladder)
