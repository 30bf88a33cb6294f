"""Portable SQL building blocks for reports: percentiles by window functions, date buckets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import Session

from bot.reports.period import Period

PERCENTILES = ((1, 2), (9, 10))  # median and p90 as fractions k/d
NO_GROUP = "all"


def percentiles(session: Session, values: Sequence[Any], where: list[Any],
                group: Any = None) -> dict[str, list[dict[str, float | int | None]]]:
    """{group: [{"median", "p90", "count"} per value column]}, interpolated like
    percentile_cont.

    Rows are ranked by window functions in the database (one scan for all the columns); only
    the neighbouring ranks of each percentile come back, so the work stays in SQL on SQLite
    and PostgreSQL alike. Rows are those where the first column is not NULL.
    """
    key = (group if group is not None else literal(NO_GROUP)).label("g")
    partition = [key] if group is not None else None
    ranks: list[Any] = [key]
    for index, value in enumerate(values):
        ranks += [value.label(f"x{index}"),
                  func.row_number().over(partition_by=partition,
                                         order_by=value.asc().nulls_last()).label(f"r{index}"),
                  func.count(value).over(partition_by=partition).label(f"n{index}")]
    ranked = select(*ranks).where(values[0].is_not(None), *where).subquery()
    columns: list[Any] = [ranked.c.g]
    for index in range(len(values)):
        columns += neighbour_columns(ranked, index)
    rows = session.execute(select(*columns).group_by(ranked.c.g)).all()
    width = 1 + 2 * len(PERCENTILES)
    return {str(row[0]): [interpolate(row[1 + i * width: 1 + (i + 1) * width])
                          for i in range(len(values))] for row in rows}


def neighbour_columns(ranked: Any, index: int) -> list[Any]:
    """The count, then the values at the two ranks around each percentile."""
    x, rank, n = (ranked.c[f"x{index}"], ranked.c[f"r{index}"], ranked.c[f"n{index}"])
    columns: list[Any] = [func.max(n)]
    for k, d in PERCENTILES:
        low = 1 + ((n - 1) * k) // d
        high = 1 + ((n - 1) * k + d - 1) // d
        columns += [func.max(case((rank == low, x))), func.max(case((rank == high, x)))]
    return columns


def interpolate(row: Sequence[Any]) -> dict[str, float | int | None]:
    count = int(row[0] or 0)
    result: dict[str, float | int | None] = {"count": count}
    for index, (name, (k, d)) in enumerate(zip(("median", "p90"), PERCENTILES, strict=True)):
        low, high = row[1 + 2 * index], row[2 + 2 * index]
        if low is None or high is None:
            result[name] = None
            continue
        fraction = ((count - 1) * k % d) / d
        result[name] = round(float(low) + (float(high) - float(low)) * fraction, 2)
    return result


def timing(session: Session, wall: Any, business: Any, where: list[Any],
           group: Any = None) -> dict[str, Any]:
    """{median, p90, business_median, business_p90, count} (per group when grouped)."""
    found = percentiles(session, (wall, business), where, group)
    result = {key: timing_entry(*pair) for key, pair in found.items()}
    return result if group is not None else result.get(NO_GROUP, timing_entry(None, None))


def timing_entry(wall: dict[str, Any] | None, business: dict[str, Any] | None) -> dict[str, Any]:
    wall, business = wall or {}, business or {}
    return {"median": wall.get("median"), "p90": wall.get("p90"),
            "business_median": business.get("median"), "business_p90": business.get("p90"),
            "count": wall.get("count", 0)}


def ratio(part: int | None, whole: int | None) -> float | None:
    """part / whole rounded to 4 places; None when there is nothing to divide by."""
    return round((part or 0) / whole, 4) if whole else None


def count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def in_period(column: Any, period: Period) -> list[Any]:
    return [column >= period.start, column < period.end]


def bucket_start(session: Session, column: Any, period: Period) -> Any:
    """The local week (Monday) or month a timestamp falls in, as 'YYYY-MM-DD' text."""
    unit = period.trend_unit
    if session.get_bind().dialect.name == "postgresql":
        local = func.timezone(period.zone.key, column)
        return func.to_char(func.date_trunc(unit, local), "YYYY-MM-DD")
    # SQLite keeps UTC text; shift by the desk's offset (exact for zones without DST).
    shifted = func.datetime(column, f"{period.utc_offset_minutes():+d} minutes")
    if unit == "month":
        return func.strftime("%Y-%m-01", shifted)
    return func.date(shifted, "-6 days", "weekday 1")
