"""The config sections become the scheduler's plain values without losing or changing a field."""

from __future__ import annotations

from datetime import date

from bot.config.root import (
    BusinessHoursConfig,
    EscalationConfig,
    ExtraOpenDay,
    HolidaysConfig,
    LadderStep,
    SlaConfig,
    SlaTable,
)
from bot.config.scheduling import calendar_from_config, ladder_rules, sla_rules
from bot.store.models import PRIORITIES
from scheduler.schedule import HolidayRules, OpenDate, WeeklySchedule, build_calendar
from scheduler.sla import first_response_target, resolution_target


def test_business_hours_become_the_same_calendar_as_the_plain_schedule() -> None:
    config = BusinessHoursConfig(
        timezone="America/Santiago", weekly={"mon": ["09:00-13:00", "14:00-18:00"],
                                             "sat": ["22:00-02:00"]},
        holidays=HolidaysConfig(country="CL", subdivision="RM", extra_closed=[date(2026, 9, 7)],
                                extra_open=[date(2026, 9, 18),
                                            ExtraOpenDay(date=date(2026, 4, 3),
                                                         hours=["10:00-11:00"])]))
    plain = WeeklySchedule("America/Santiago", {"mon": ("09:00-13:00", "14:00-18:00"),
                                                "sat": ("22:00-02:00",)},
                           HolidayRules("CL", "RM", frozenset({date(2026, 9, 7)}),
                                        (OpenDate(date(2026, 9, 18)),
                                         OpenDate(date(2026, 4, 3), ("10:00-11:00",)))))
    assert calendar_from_config(config) == build_calendar(plain)
    assert calendar_from_config(BusinessHoursConfig()) != build_calendar(plain)


def test_sla_tables_keep_every_target() -> None:
    config = SlaConfig(first_response={"regular": SlaTable(critical=1, high=2, medium=3, low=4),
                                       "vip": SlaTable(critical=5, high=6, medium=7, low=8)},
                       resolution={"regular": SlaTable(critical=9, high=10, medium=11, low=12),
                                   "vip": SlaTable(critical=13, high=14, medium=15, low=16)},
                       vip_emergency_24x7=False)
    rules = sla_rules(config)
    for priority in PRIORITIES:
        for vip, first, resolution in ((False, config.first_response.regular,
                                        config.resolution.regular),
                                       (True, config.first_response.vip, config.resolution.vip)):
            assert first_response_target(rules, vip, priority) == getattr(first, priority)
            assert resolution_target(rules, vip, priority) == getattr(resolution, priority)
    assert rules.vip_emergency_24x7 is False


def test_the_priority_ladder_keeps_its_order_and_clocks() -> None:
    config = EscalationConfig(priority_ladder=[
        LadderStep(from_="high", to="critical", after_minutes=45, clock="wall"),
        LadderStep(from_="low", to="high", after_minutes=600)])
    assert [(rung.from_, rung.to, rung.after_minutes, rung.clock)
            for rung in ladder_rules(config)] == [
        (step.from_, step.to, step.after_minutes, step.clock) for step in config.priority_ladder]
