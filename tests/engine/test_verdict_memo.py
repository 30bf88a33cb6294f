"""Triage verdicts are remembered per fitted Triager across routing batches (prepare.triage)."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from bot import app
from bot.engine import prepare
from bot.engine.prepare import VerdictMemo, triage
from bot.engine.triage.classify import Verdict
from kb import language


class CountingTriager:
    """Stands in for a fitted Triager: counts what it is asked."""

    def __init__(self, category: str = "technical") -> None:
        self.category = category
        self.asked: list[str] = []

    def classify(self, text: str) -> Verdict:
        self.asked.append(text)
        return Verdict(self.category, "medium")


def test_a_repeated_text_is_classified_once_per_triager() -> None:
    first = CountingTriager()
    assert triage(first, "no puedo entrar") == Verdict("technical", "medium")  # type: ignore[arg-type]
    assert triage(first, "no puedo entrar") == Verdict("technical", "medium")  # type: ignore[arg-type]
    assert first.asked == ["no puedo entrar"]
    refitted = CountingTriager("account")   # a refit is a new Triager: its own verdicts
    assert triage(refitted, "no puedo entrar").category == "account"  # type: ignore[arg-type]
    assert refitted.asked == ["no puedo entrar"]


def test_the_memo_keeps_the_newest_texts_up_to_its_size() -> None:
    memo = VerdictMemo(size=2)
    triager = CountingTriager()
    for text in ("a", "b", "c", "c", "b", "a"):
        memo.classify(triager, text)  # type: ignore[arg-type]
    assert triager.asked == ["a", "b", "c", "a"]   # "a" was the oldest when "c" came
    assert len(memo.verdicts) == 2


def test_prepare_triages_each_text_of_a_batch_through_the_memo(
        monkeypatch: pytest.MonkeyPatch) -> None:
    triager = CountingTriager()
    index = SimpleNamespace(meaning=None, words=None)   # a KB index: no vectors, no words
    text = "mi factura salió doble"
    monkeypatch.setattr(prepare, "best_match", lambda *_args: None)
    for _ in range(2):   # two batches, each with the text twice
        inputs = [prepare.TurnInput(text), prepare.TurnInput(text)]
        prepared = prepare.prepare(index, "es", inputs, triager)  # type: ignore[arg-type]
        assert prepared.triaged[text].category == "technical"
    assert triager.asked == [text]


def test_warm_up_fits_triage_and_survives_a_failure(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[tuple[object, object]] = []
    prepared: list[tuple[object, list[str], object]] = []
    config = SimpleNamespace(bot=SimpleNamespace(default_language="es"))
    runtime = SimpleNamespace(factory="factory", config=config, ctx=SimpleNamespace(kb_index="kb"))
    monkeypatch.setattr(language, "warm_up", lambda: calls.append(("language",)))
    monkeypatch.setattr(prepare, "batch_triager", lambda *args: calls.append(args) or "fitted")
    monkeypatch.setattr(prepare, "prepare", lambda index, lang, inputs, triager: prepared.append(
        (index, [item.text for item in inputs], triager)))
    app.warm_up(runtime)  # type: ignore[arg-type]
    assert calls == [("language",), ("factory", config)]   # lingua's models loaded first
    assert prepared == [("kb", list(app.WARM_UP_TEXTS), "fitted")]   # patterns compiled too

    def broken(*_args: object) -> None:
        raise RuntimeError("no database")

    monkeypatch.setattr(prepare, "batch_triager", broken)
    with caplog.at_level(logging.WARNING):
        app.warm_up(runtime)  # type: ignore[arg-type]
    assert "triage warm-up failed" in caplog.text
