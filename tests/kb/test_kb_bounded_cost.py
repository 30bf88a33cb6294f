"""Hostile text costs the matcher and the language detector bounded time and memory."""

from __future__ import annotations

import random
import string
import time
import tracemalloc
from collections.abc import Callable

import pytest

from kb.language import detect_language
from kb.matcher import KbIndex, best_match
from kb.spelling import SpellIndex

MEGABYTE = 1024 * 1024


def long_word(length: int, seed: int = 7) -> str:
    """Letters no dictionary holds: every deletion of it is a different string."""
    pick = random.Random(seed).choice
    return "".join(pick(string.ascii_lowercase) for _ in range(length))


def cost(call: Callable[[], object]) -> tuple[float, float]:
    """(seconds, peak MB of Python allocations) of one call."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        call()
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / MEGABYTE
    finally:
        tracemalloc.stop()
    return elapsed, peak


HOSTILE = {
    "one 25 kB word": "hola, necesito ayuda " + long_word(25_000),
    "four 25 kB words": " ".join(long_word(25_000, seed) for seed in range(4)),
    "100 kB of distinct words": " ".join(long_word(9, seed) for seed in range(10_000)),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_matching_hostile_text_is_bounded(sample_index: KbIndex, name: str) -> None:
    best_match(sample_index, "¿Cuál es el horario?")   # lingua and stemmers loaded already
    seconds, peak = cost(lambda: best_match(sample_index, HOSTILE[name]))
    assert seconds < 1.0, f"{name}: {seconds:.2f} s"
    assert peak < 20, f"{name}: {peak:.0f} MB"


@pytest.mark.parametrize("name", HOSTILE)
def test_detecting_the_language_of_hostile_text_is_bounded(name: str) -> None:
    detect_language("¿Cuál es el horario?")
    seconds, _ = cost(lambda: detect_language(HOSTILE[name]))
    assert seconds < 0.5, f"{name}: {seconds:.2f} s"


def test_a_long_message_is_still_matched_by_its_opening(sample_index: KbIndex) -> None:
    question = "Olvidé mi contraseña, ¿cómo la cambio?"
    short = best_match(sample_index, question)
    padded = best_match(sample_index, question + "\n\n" + "bla " * 30_000)
    assert short.answered
    assert padded.article_id == short.article_id


def test_spelling_ignores_tokens_longer_than_any_word() -> None:
    index = SpellIndex.build(["factura", "horario"])
    assert index.corrections("factuar") == ["factura"]
    token = long_word(20_000)
    seconds, peak = cost(lambda: index.corrections(token))
    assert index.corrections(token) == []
    assert seconds < 0.05 and peak < 5
