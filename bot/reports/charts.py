"""Report charts drawn with matplotlib (no pyplot, no display) as inline SVG text.

matplotlib is imported when the first chart is drawn: it takes about a second to import, and
every `atiende` command (and the server's start) would otherwise pay for it."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from bot.store.models import PRIORITIES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

AGING_FILL = {"green": "#2e7d32", "blue": "#1565c0", "yellow": "#f9a825", "orange": "#ef6c00",
              "red": "#c62828"}
CREATED, RESOLVED = "#1565c0", "#2e7d32"
SIZE = (6.4, 3.0)


def to_svg(figure: Figure) -> str:
    """The figure as an <svg> element (text kept as text, no date stamp)."""
    for axes in figure.axes:
        axes.set_ylim(bottom=0)
    from matplotlib import rc_context

    buffer = io.StringIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "atiende"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def new_axes(title: str) -> tuple[Figure, Any]:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    axes.set_title(title, loc="left", fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    return figure, axes


def trend_chart(report: dict[str, Any]) -> str:
    periods = report["trend"]["periods"]
    figure, axes = new_axes(f"Created vs resolved per {report['trend']['unit']}")
    labels = [p["start"][5:] for p in periods]
    positions = range(len(periods))
    axes.bar([x - 0.2 for x in positions], [p["created"] for p in periods], 0.4,
             label="created", color=CREATED)
    axes.bar([x + 0.2 for x in positions], [p["resolved"] for p in periods], 0.4,
             label="resolved", color=RESOLVED)
    axes.set_xticks(list(positions), labels, rotation=45 if len(labels) > 8 else 0, fontsize=8)
    axes.legend(frameon=False, fontsize=8)
    return to_svg(figure)


def csat_chart(report: dict[str, Any]) -> str:
    distribution = report["csat"]["distribution"]
    figure, axes = new_axes(f"Satisfaction (average {report['csat']['average'] or '—'})")
    colours = ["#c62828", "#ef6c00", "#f9a825", "#7cb342", "#2e7d32"]
    axes.bar([f"{score}★" for score in distribution], list(distribution.values()),
             color=colours)
    return to_svg(figure)


def backlog_chart(report: dict[str, Any]) -> str:
    aging = report["backlog_aging"]
    figure, axes = new_axes(f"Open backlog by age ({sum(aging.values())} tickets)")
    axes.bar(list(aging), list(aging.values()), color=[AGING_FILL[c] for c in aging])
    return to_svg(figure)


def sla_chart(report: dict[str, Any]) -> str:
    table = report["sla_compliance"]["by_tier_priority"]
    figure, axes = new_axes("First-response SLA compliance by priority (%)")
    positions = range(len(PRIORITIES))
    for offset, tier, colour in ((-0.2, "regular", CREATED), (0.2, "vip", "#6a1b9a")):
        values = [table[tier][p] for p in PRIORITIES]
        axes.bar([x + offset for x in positions], [100 * (v or 0) for v in values], 0.4,
                 label=tier, color=colour)
        for x, priority, value in zip(positions, PRIORITIES, values, strict=True):
            label_bar(axes, x + offset, value, f"sla-{tier}-{priority}")
    axes.set_xticks(list(positions), list(PRIORITIES))
    axes.set_ylim(0, 105)
    axes.legend(frameon=False, fontsize=8)
    return to_svg(figure)


def label_bar(axes: Any, x: float, share: float | None, gid: str) -> None:
    """Every bar says its value: 0 % is a visible "0", no tickets at all is "–" (no data)."""
    text = "–" if share is None else f"{100 * share:.0f}"
    axes.text(x, 100 * (share or 0) + 1.5, text, ha="center", fontsize=7, gid=gid,
              color="#555555" if share is None else "#000000")


def all_charts(report: dict[str, Any]) -> dict[str, str]:
    return {"trend": trend_chart(report), "csat": csat_chart(report),
            "backlog": backlog_chart(report), "sla": sla_chart(report)}
