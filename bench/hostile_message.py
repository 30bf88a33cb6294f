"""Time and memory of the per-message text work on hostile 100 kB inputs; prints one line."""

from __future__ import annotations

import random
import string
import time
import tracemalloc
from pathlib import Path

from channels.email.quotes import latest_reply
from kb.language import detect_language
from kb.loader import load_kb
from kb.matcher import best_match, build_index

KB = Path(__file__).resolve().parents[1] / "kb" / "articles"


def word(length: int, seed: int) -> str:
    pick = random.Random(seed).choice
    return "".join(pick(string.ascii_lowercase) for _ in range(length))


INPUTS = {
    "4x25kB words": "\n".join(word(25_000, seed) for seed in range(4)),
    "100kB distinct words": " ".join(word(9, seed) for seed in range(10_000)),
    "50k spaces": "hola" + " " * 50_000 + "chao",
    "20k blank lines": "hola" + "\n" * 20_000 + "chao",
}


def work(index: object, text: str) -> None:
    latest_reply(text)
    detect_language(text)
    best_match(index, text)  # type: ignore[arg-type]


def measure(index: object, text: str) -> tuple[float, float]:
    """(seconds, untraced; peak MB of Python allocations, traced in a second run)."""
    started = time.perf_counter()
    work(index, text)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    work(index, text)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return elapsed, peak


def main() -> None:
    index = build_index(load_kb(KB))
    for text in INPUTS.values():   # one-time loads (lingua's models, regex compiles)
        work(index, text)
    figures = [f"{name}: {s * 1000:.0f} ms {mb:.1f} MB"
               for name, (s, mb) in ((n, measure(index, t)) for n, t in INPUTS.items())]
    print("hostile_message (latest reply + language + KB match): " + "; ".join(figures))


if __name__ == "__main__":
    main()
