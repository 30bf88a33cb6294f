"""`atiende kb gaps`: questions that ended in tickets, grouped by meaning, biggest first."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bot.app import Runtime
from bot.cli.chat import ChatSession
from bot.cli.main import main
from bot.reports.kb_stats import unanswered_texts
from kb.encoder import load_encoder
from kb.gaps import find_gaps
from tests.conftest import REPO

SHOPIFY = ["¿Se pueden integrar con Shopify?", "tienen integracion con shopify??",
           "Can you connect to my Shopify store?"]
PRINTER = ["La impresora fiscal imprime los tiquetes en blanco desde ayer",
           "la impresora saca los tiquetes en blanco"]
SCANNER = ["¿Venden lectores de código de barras?"]


def ask_all(runtime: Runtime) -> None:
    for number, question in enumerate(PRINTER + SCANNER + SHOPIFY):
        ChatSession(runtime, f"console:c{number}", f"Cliente {number}").send(question)


def test_unanswered_questions_group_by_meaning_biggest_first(runtime: Runtime) -> None:
    ask_all(runtime)
    with runtime.factory() as session:
        asked = unanswered_texts(session)
    assert sorted(q for q, _ in asked) == sorted(PRINTER + SCANNER + SHOPIFY)
    gaps = find_gaps(asked, load_encoder())
    assert [(gap.size, set(gap.samples)) for gap in gaps] == [
        (3, set(SHOPIFY)), (2, set(PRINTER)), (1, set(SCANNER))]


def test_without_the_encoder_only_identical_wordings_group() -> None:
    asked = [("Tienen API?", "es"), ("tienen api", "es"), ("¿Hay app para iPhone?", "es")]
    gaps = find_gaps(asked, None)
    assert [(gap.size, gap.samples[0]) for gap in gaps] == [(2, "Tienen API?"),
                                                           (1, "¿Hay app para iPhone?")]


def test_kb_gaps_cli_prints_the_groups(runtime: Runtime, tmp_path: Path) -> None:
    ask_all(runtime)
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {{url: '{runtime.config.database.url}'}}\n"
                      f"kb: {{path: '{REPO / 'kb' / 'articles'}'}}\n", encoding="utf-8")
    done = CliRunner().invoke(main, ["kb", "gaps", "--json", "--limit", "2",
                                     "--config", str(config)])
    assert done.exit_code == 0, done.output
    gaps = json.loads(done.output)
    assert [(g["size"], g["lang"]) for g in gaps] == [(3, "es"), (2, "es")]
    assert set(gaps[0]["samples"]) == set(SHOPIFY)
    table = CliRunner().invoke(main, ["kb", "gaps", "--config", str(config)])
    assert table.exit_code == 0 and table.output.splitlines()[0].split()[0] == "3"
