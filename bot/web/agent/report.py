"""/agent/report: the figures and charts of `atiende report`, with CSV and XLSX downloads."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.errors import ConfigError
from bot.reports.charts import all_charts
from bot.reports.figures import TICKET_COLUMNS, build_report, ticket_rows
from bot.reports.files import write_xlsx
from bot.reports.period import Period, make_period
from bot.reports.render import sections, to_csv
from bot.web.agent.core import Inbox, Visitor, endpoint

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def figures(inbox: Inbox, period: Period, with_tickets: bool) -> tuple[dict[str, Any], list[Any]]:
    with inbox.runtime.factory() as session:
        report = build_report(session, period)
        rows = ticket_rows(session, period) if with_tickets else []
    return report, rows


def xlsx_bytes(report: dict[str, Any], rows: list[Any]) -> bytes:
    columns = [f"{name} (UTC)" if name.endswith("_at") else name for name in TICKET_COLUMNS]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.xlsx"
        write_xlsx(report, columns, rows, path)
        return path.read_bytes()


def page_context(report: dict[str, Any], since: str) -> dict[str, Any]:
    charts = {name: Markup(svg) for name, svg in all_charts(report).items()}  # our matplotlib SVG
    return {"sections": sections(report), "charts": charts, "since": since,
            "period": report["period"]}


def download(inbox: Inbox, visitor: Visitor, kind: str, report: dict[str, Any],
             rows: list[Any]) -> Response:
    body: str | bytes = to_csv(report) if kind == "csv" else xlsx_bytes(report, rows)
    return inbox.finish(Response(body, media_type="text/csv" if kind == "csv" else XLSX, headers={
        "Content-Disposition": f'attachment; filename="atiende-report.{kind}"'}), visitor)


async def report_view(inbox: Inbox, request: Request) -> Response:
    visitor = await inbox.visitor(request)
    if visitor.agent is None:
        return inbox.to_sign_in(request, visitor)
    since = request.query_params.get("since", "30d")
    kind = request.path_params.get("kind", "")
    if kind not in ("", "csv", "xlsx"):
        return inbox.finish(Response("report.csv or report.xlsx", 404), visitor)
    try:
        period = make_period(inbox.now(), inbox.zone, since)
    except ConfigError as exc:
        return inbox.finish(Response(str(exc), 400), visitor)
    report, rows = await run_in_threadpool(figures, inbox, period, kind == "xlsx")
    if kind:
        return await run_in_threadpool(download, inbox, visitor, kind, report, rows)
    context = await run_in_threadpool(page_context, report, since)
    return inbox.render(request, visitor, "agent/report.html", **context)


def report_routes(inbox: Inbox) -> list[Route]:
    return [Route("/report", endpoint(report_view, inbox), methods=["GET"]),
            Route("/report.{kind:str}", endpoint(report_view, inbox), methods=["GET"])]
