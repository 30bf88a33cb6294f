"""`atiende report` formats: JSON keys, CSV header, XLSX sheets, HTML charts (in Chromium)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bot.app import Runtime
from bot.cli.main import main
from tests.conftest import REPO, need_service
from tests.test_reports import seed

PERIOD = ["--from", "2026-11-02", "--to", "2026-11-27", "--now", "2026-11-30T09:00-05:00"]
SPEED_KEYS = {"median", "p90", "business_median", "business_p90"}


@pytest.fixture
def config_file(runtime: Runtime, tmp_path: Path) -> Path:
    seed(runtime)
    path = tmp_path / "config.yaml"
    path.write_text(f"database: {{url: '{runtime.config.database.url}'}}\n"
                    f"kb: {{path: '{REPO / 'kb' / 'articles'}'}}\n", encoding="utf-8")
    return path


def report(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["report", *PERIOD, *args, "--config", str(config_file)])


def test_json_has_the_documented_keys(config_file: Path) -> None:
    done = report(config_file, "--format", "json")
    assert done.exit_code == 0, done.output
    figures: dict[str, Any] = json.loads(done.output)
    assert {"conversations", "tickets_created", "deflection_rate", "handoff_rate",
            "reopen_rate", "first_response_minutes", "resolution_minutes", "sla_compliance",
            "csat", "backlog_aging"} <= set(figures)
    assert set(figures["first_response_minutes"]) >= SPEED_KEYS
    assert set(figures["resolution_minutes"]) >= SPEED_KEYS
    assert {"overall", "by_priority", "by_tier"} <= set(figures["sla_compliance"])
    assert set(figures["sla_compliance"]["by_tier"]) == {"regular", "vip"}
    assert {"average", "responses"} <= set(figures["csat"])
    assert list(figures["csat"]["distribution"]) == ["1", "2", "3", "4", "5"]
    assert list(figures["backlog_aging"]) == ["green", "blue", "yellow", "orange", "red"]
    assert (figures["conversations"], figures["tickets_created"]) == (28, 20)


def test_csv_is_one_long_table(config_file: Path) -> None:
    done = report(config_file, "--format", "csv", "--by", "category")
    rows = list(csv.reader(io.StringIO(done.output)))
    assert rows[0] == ["section", "metric", "group", "value"]
    assert ["summary", "tickets_created", "", "20"] in rows
    assert ["first_response_minutes", "business_p90", "", "390.0"] in rows
    assert ["csat", "distribution.5", "", "4"] in rows
    assert ["breakdown.groups", "tickets_created", "billing", "4"] in rows
    assert ["trend.periods", "created", "2026-11-23", "9"] in rows


def test_xlsx_has_a_sheet_per_section_and_the_tickets(config_file: Path,
                                                       tmp_path: Path) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "report.xlsx"
    done = report(config_file, "--format", "xlsx", "--by", "channel", "-o", str(target))
    assert done.exit_code == 0, done.output
    book = load_workbook(target)
    assert book.sheetnames == ["Volume", "Speed", "SLA compliance", "Satisfaction",
                               "Backlog aging", "Trend per week", "By channel", "Tickets"]
    volume = {row[0]: row[1] for row in book["Volume"].iter_rows(values_only=True)}
    assert (volume["Conversations"], volume["Tickets created"]) == (28, 20)
    assert book["Volume"]["B6"].number_format == "0.0%"  # deflection rate, kept a number
    tickets = list(book["Tickets"].iter_rows(values_only=True))
    assert tickets[0][:3] == ("number", "created_at (UTC)", "status")
    assert [row[0] for row in tickets[1:]] == list(range(1, 21))


def test_xlsx_needs_an_output_file(config_file: Path) -> None:
    done = report(config_file, "--format", "xlsx")
    assert done.exit_code == 2 and "needs -o" in done.output


def test_since_and_from_together_are_refused(config_file: Path) -> None:
    done = CliRunner().invoke(main, ["report", "--since", "30d", "--from", "2026-11-01",
                                     "--config", str(config_file)])
    assert done.exit_code == 2 and "either --since or --from/--to" in done.output


def test_table_shows_every_section(config_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    assert report(config_file, "--by", "agent", "--format", "table", "-o", str(target)
                  ).exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert re.search(r"│ Tickets created\s+│ 20\s+│", text)
    for title in ("Volume", "Speed", "SLA compliance", "Satisfaction", "Backlog aging",
                  "Trend per week", "By agent"):
        assert title in text


def test_html_is_one_self_contained_page_with_svg_charts(config_file: Path,
                                                         tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    assert report(config_file, "--format", "html", "-o", str(target)).exit_code == 0
    page = target.read_text(encoding="utf-8")
    assert page.count("<svg") == 4
    assert "<script" not in page and "<link" not in page and "src=" not in page


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        need_service("Debian's chromium (headless)")
    return str(found)


def colour_pixels(png: Path, rgb: tuple[int, int, int], tolerance: int = 24) -> int:
    import numpy
    from PIL import Image

    with Image.open(png) as image:
        pixels = numpy.asarray(image.convert("RGB"), dtype=numpy.int16)
    close = numpy.abs(pixels - numpy.array(rgb, dtype=numpy.int16)) <= tolerance
    return int(close.all(axis=2).sum())


def test_html_charts_render_in_headless_chromium(config_file: Path, tmp_path: Path) -> None:
    browser = chromium()
    page, shot = tmp_path / "report.html", tmp_path / "report.png"
    assert report(config_file, "--format", "html", "-o", str(page)).exit_code == 0
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--window-size=1280,1400", f"--screenshot={shot}",
                    page.as_uri()], capture_output=True, timeout=120, check=True)
    # bars of every chart: created (blue), resolved/5★/green backlog (green), VIP (purple),
    # overdue backlog (yellow) and the red 30-day-old ticket
    for rgb in ((0x15, 0x65, 0xC0), (0x2E, 0x7D, 0x32), (0x6A, 0x1B, 0x9A), (0xF9, 0xA8, 0x25),
                (0xC6, 0x28, 0x28)):
        assert colour_pixels(shot, rgb) > 300, rgb
