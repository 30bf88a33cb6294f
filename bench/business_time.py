"""Benchmark: add_business_time latency (Bogotá calendar, horizons up to 30 days), one line."""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config.root import BusinessHoursConfig
from bot.config.scheduling import calendar_from_config
from scheduler.business_hours import (
    add_business_time,
    business_minutes_between,
)

YEAR_START = datetime(2026, 1, 1, tzinfo=ZoneInfo("America/Bogota"))


def make_cases(rng: random.Random, count: int, max_minutes: float) -> list[tuple[datetime, float]]:
    """Random moments over a year and random amounts of business time up to `max_minutes`."""
    year_seconds = 365 * 24 * 3600
    return [(YEAR_START + timedelta(seconds=rng.uniform(0, year_seconds)),
              rng.uniform(0, max_minutes)) for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--horizon-days", type=int, default=30)
    args = parser.parse_args()
    calendar = calendar_from_config(BusinessHoursConfig())
    horizon = YEAR_START + timedelta(days=args.horizon_days)
    max_minutes = business_minutes_between(calendar, YEAR_START, horizon)
    cases = make_cases(random.Random(7), args.samples, max_minutes)
    for moment, minutes in cases:  # warm the per-date cache, as a running server has it
        add_business_time(calendar, moment, minutes)
    times = []
    for moment, minutes in cases:
        start = time.perf_counter()
        add_business_time(calendar, moment, minutes)
        times.append((time.perf_counter() - start) * 1e6)
    p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[18]
    print(f"business_time add_business_time samples={args.samples} "
          f"horizon_days={args.horizon_days} max_minutes={max_minutes:.0f} "
          f"p50_us={p50:.1f} p95_us={p95:.1f}")


if __name__ == "__main__":
    main()
