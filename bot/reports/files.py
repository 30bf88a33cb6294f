"""Report files: an XLSX workbook (a sheet per section plus tickets) and one HTML page."""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from bot.reports.charts import all_charts
from bot.reports.render import MINUTES, RATE, Section, sections

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.3rem .6rem}
th{background:#f4f4f4;text-align:left}td{text-align:right}td:first-child{text-align:left}
.kpis{display:flex;gap:1rem;flex-wrap:wrap}.kpi{border:1px solid #ddd;border-radius:8px;
padding:.6rem 1rem;min-width:9rem}.kpi b{display:block;font-size:1.4rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1rem}
.chart svg{width:100%;height:auto}
"""


def write_xlsx(report: dict[str, Any], ticket_columns: list[str],
               tickets: list[tuple[Any, ...]], path: Path) -> None:
    """One sheet per section, numbers kept as numbers (rates as %), then the ticket list."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for section in sections(report):
        sheet = book.create_sheet(section.title[:31])
        sheet.append(list(section.headers))
        for index, row in enumerate(section.rows):
            sheet.append([cell(sheet, value, section.kind(index, column))
                          for column, value in enumerate(row)])
    sheet = book.create_sheet("Tickets")
    sheet.append(ticket_columns)
    for row in tickets:
        sheet.append([plain(value) for value in row])
    book.save(path)


def cell(sheet: Any, value: Any, kind: str) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if kind not in (RATE, MINUTES) or value is None:
        return plain(value)
    written = WriteOnlyCell(sheet, value=value)
    written.number_format = "0.0%" if kind == RATE else "0.0"
    return written


def plain(value: Any) -> Any:
    """Spreadsheets take naive datetimes: keep UTC and say so in the header."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def html_table(section: Section) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in section.headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(value)}</td>" for value in row) + "</tr>"
                   for row in section.shown_rows())
    return f"<h2>{escape(section.title)}</h2><table><tr>{head}</tr>{body}</table>"


def kpis(report: dict[str, Any]) -> str:
    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f} %"

    items = [("Conversations", report["conversations"]),
             ("Tickets created", report["tickets_created"]),
             ("Deflection", pct(report["deflection_rate"])),
             ("SLA compliance", pct(report["sla_compliance"]["overall"])),
             ("CSAT", report["csat"]["average"] or "—"),
             ("Open backlog", report["backlog_open"])]
    return "<div class='kpis'>" + "".join(
        f"<div class='kpi'>{escape(name)}<b>{escape(str(value))}</b></div>"
        for name, value in items) + "</div>"


def to_html(report: dict[str, Any]) -> str:
    """A single self-contained page: styles inline, charts as inline SVG, no scripts."""
    period = report["period"]
    title = f"Atiende support report {period['from'][:10]} – {period['to'][:10]}"
    charts = "".join(f"<div class='chart' id='chart-{name}'>{svg}</div>"
                     for name, svg in all_charts(report).items())
    tables = "".join(html_table(section) for section in sections(report))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{escape(title)}</h1><p>Generated {escape(period['generated_at'])} "
            f"({escape(period['timezone'])}).</p>{kpis(report)}"
            f"<div class='charts'>{charts}</div>{tables}</body></html>")
