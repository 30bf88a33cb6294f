"""Report sections as rows, shown as rich tables, CSV (long format) or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.store.models import PRIORITIES

CSV_HEADER = ("section", "metric", "group", "value")
RATE = "rate"
MINUTES = "minutes"


@dataclass(frozen=True)
class Section:
    """One titled table: headers, rows of raw values, and how to show each column."""

    title: str
    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    kinds: tuple[str, ...] = ()
    row_kinds: tuple[str, ...] = ()  # for Figure/Value sections: how to show each value

    def kind(self, row: int, column: int) -> str:
        if self.row_kinds and column == 1:
            return self.row_kinds[row] if row < len(self.row_kinds) else ""
        return self.kinds[column] if column < len(self.kinds) else ""

    def shown_rows(self) -> list[tuple[str, ...]]:
        return [tuple(show(value, self.kind(r, c)) for c, value in enumerate(row))
                for r, row in enumerate(self.rows)]


def show(value: Any, kind: str = "") -> str:
    """A value for people: rates as %, minutes as min/h, missing as —."""
    if value is None:
        return "—"
    if kind == RATE:
        return f"{value * 100:.1f} %"
    if kind == MINUTES:
        return f"{value:.0f} min" if value < 60 else f"{value / 60:.1f} h"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def sections(report: dict[str, Any]) -> list[Section]:
    found = [volume_section(report), speed_section(report), sla_section(report),
             csat_section(report), backlog_section(report), trend_section(report)]
    if "breakdown" in report:
        found.append(breakdown_section(report["breakdown"]))
    return found


def volume_section(report: dict[str, Any]) -> Section:
    rows = [("Conversations", report["conversations"], ""),
            ("Tickets created", report["tickets_created"], ""),
            ("Tickets resolved", report["tickets_resolved"], ""),
            ("Resolved by the bot (no ticket)", report["bot_resolved"], ""),
            ("Deflection rate", report["deflection_rate"], RATE),
            ("Handoff rate", report["handoff_rate"], RATE),
            ("Reopened tickets", report["reopened"], ""),
            ("Reopen rate (target < 10 %)", report["reopen_rate"], RATE),
            ("Escalations", report["escalations"], ""),
            ("First-response SLA breaches", report["breaches"]["first_response"], ""),
            ("Resolution SLA breaches", report["breaches"]["resolution"], "")]
    return Section("Volume", ("Figure", "Value"), [(name, value) for name, value, _ in rows],
                   row_kinds=tuple(kind for _, _, kind in rows))


def speed_section(report: dict[str, Any]) -> Section:
    rows = []
    for name, key in (("First response", "first_response_minutes"),
                      ("Resolution", "resolution_minutes")):
        item = report[key]
        rows.append((name, item["median"], item["p90"], item["business_median"],
                     item["business_p90"], item["count"]))
    return Section("Speed", ("Time", "Median", "p90", "Business median", "Business p90",
                             "Tickets"), rows, ("", MINUTES, MINUTES, MINUTES, MINUTES, ""))


def sla_section(report: dict[str, Any]) -> Section:
    first, resolution = report["sla_compliance"], report["resolution_sla_compliance"]
    rows = [(p, first["by_tier_priority"]["regular"][p], first["by_tier_priority"]["vip"][p],
             first["by_priority"][p], resolution["by_priority"][p]) for p in PRIORITIES]
    rows.append(("all", first["by_tier"]["regular"], first["by_tier"]["vip"], first["overall"],
                 resolution["overall"]))
    return Section("SLA compliance", ("Priority", "First response regular",
                                      "First response VIP", "First response all",
                                      "Resolution all"), rows, ("", RATE, RATE, RATE, RATE))


def csat_section(report: dict[str, Any]) -> Section:
    csat = report["csat"]
    rows: list[tuple[Any, ...]] = [
        ("Average (target > 4.5)", csat["average"]), ("Ratings requested", csat["requests"]),
        ("Responses", csat["responses"]), ("Response rate", csat["response_rate"])]
    rows += [(f"{score} ★", count) for score, count in csat["distribution"].items()]
    rows += [(f"#{c['ticket']} ({c['score']}/5)", c["comment"]) for c in csat["comments"]]
    return Section("Satisfaction", ("Figure", "Value"), rows, row_kinds=("", "", "", RATE))


def backlog_section(report: dict[str, Any]) -> Section:
    meaning = {"green": "due in the future", "blue": "due today", "yellow": "past its due time",
               "orange": "20+ days old", "red": "30+ days old"}
    return Section("Backlog aging", ("Colour", "Meaning", "Open tickets"),
                   [(colour, meaning[colour], count)
                    for colour, count in report["backlog_aging"].items()])


def trend_section(report: dict[str, Any]) -> Section:
    trend = report["trend"]
    return Section(f"Trend per {trend['unit']}", ("Starting", "Created", "Resolved"),
                   [(p["start"], p["created"], p["resolved"]) for p in trend["periods"]])


def breakdown_section(breakdown: dict[str, Any]) -> Section:
    columns = ("tickets_created", "tickets_resolved", "open", "first_response_median",
               "first_response_business_median", "resolution_median",
               "resolution_business_median", "sla_compliance", "csat_average", "csat_responses")
    kinds = ("", "", "", "", MINUTES, MINUTES, MINUTES, MINUTES, RATE, "", "")
    rows = [(group["key"], *(group[column] for column in columns))
            for group in breakdown["groups"]]
    headers = (breakdown["by"].capitalize(), "Created", "Resolved", "Open", "First resp. median",
               "First resp. business", "Resolution median", "Resolution business", "SLA",
               "CSAT", "Ratings")
    return Section(f"By {breakdown['by']}", headers, rows, kinds)


def to_table(report: dict[str, Any], width: int = 120) -> str:
    """Rich tables as text (colour when printed to a terminal by the CLI)."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None)
    period = report["period"]
    console.print(f"Atiende report {period['from']} → {period['to']} ({period['timezone']})")
    for table in rich_tables(report):
        console.print(table)
    return console.file.getvalue()  # type: ignore[attr-defined]


def rich_tables(report: dict[str, Any]) -> Iterator[Any]:
    from rich.table import Table

    for section in sections(report):
        table = Table(title=section.title, title_justify="left")
        for header in section.headers:
            table.add_column(header)
        for row in section.shown_rows():
            table.add_row(*row)
        yield table


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)


def flatten(report: dict[str, Any]) -> Iterator[tuple[str, str, str, Any]]:
    """(section, metric, group, value) for every figure: the long CSV format."""
    for key, value in report.items():
        if isinstance(value, dict):
            yield from flatten_section(key, value)
        else:
            yield ("summary", key, "", value)


def flatten_section(section: str, data: dict[str, Any],
                    prefix: str = "") -> Iterator[tuple[str, str, str, Any]]:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from flatten_section(section, value, f"{name}.")
        elif isinstance(value, list):
            yield from flatten_list(section, name, value)
        else:
            yield (section, name, "", value)


def flatten_list(section: str, name: str,
                 items: list[dict[str, Any]]) -> Iterator[tuple[str, str, str, Any]]:
    for item in items:
        group = str(item.get("key", item.get("start", item.get("ticket", ""))))
        for key, value in item.items():
            if key not in ("key", "start"):
                yield (f"{section}.{name}", key, group, value)


def to_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(flatten(report))
    return out.getvalue()
