"""The everyday words of each category (issue 15 A) and the triage built on them, es and en."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.root import AtiendeConfig, load_config
from bot.engine.triage import explicit_category
from bot.engine.triage.classify import Triager
from bot.engine.triage.impact import read
from bot.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]

WORDS = [
    ("quiero sugerir algo para la app", "suggestion"),
    ("les dejo una sugerencia", "suggestion"),
    ("propongo agregar un botón de exportar", "suggestion"),
    ("tengo una idea para el reporte", "suggestion"),
    ("I have a suggestion for the calendar", "suggestion"),
    ("necesitamos capacitación para el equipo", "training"),
    ("entrenamiento para los nuevos", "training"),
    ("queremos agendar el onboarding", "training"),
    ("we need training for our staff", "training"),
]


@pytest.fixture(scope="module")
def triager() -> Triager:
    return Triager.from_config(load_config(REPO / "config.yaml", environ={}))


@pytest.mark.parametrize(("text", "category"), WORDS)
def test_everyday_words_name_their_category(triager: Triager, text: str,
                                            category: str) -> None:
    assert explicit_category(text) == category
    assert triager.classify(text).category == category


def test_words_match_at_word_starts_without_accents() -> None:
    assert explicit_category("SUGERENSIA: modo oscuro") == "suggestion"   # typo, caps
    assert explicit_category("buenas tardes") is None
    assert read("no podemos vender nada").no_sales
    assert not read("podemos vender, solo el reporte sale mal").stopped


def test_every_message_gets_a_category_even_without_words(triager: Triager) -> None:
    for text in ("hola?", "👍", "necesito ayuda", "x"):
        verdict = triager.classify(text)
        assert verdict.category and verdict.priority


def test_without_the_shipped_examples_config_alone_still_triages() -> None:
    base = load_config(REPO / "config.yaml", environ={})
    config: AtiendeConfig = base.model_copy(update={"triage": base.triage.model_copy(
        update={"shipped_examples": False})})
    verdict = Triager.from_config(config).classify("sistema caído, no podemos vender")
    assert (verdict.category, verdict.priority) == ("emergency", "critical")


def test_a_bad_triage_example_in_config_is_one_line_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("triage:\n  categories:\n    billing:\n      examples:\n"
                    "        - {text: hola, priority: urgent}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"triage\.categories\.billing\.examples\.0\.priority"):
        load_config(path, environ={})
