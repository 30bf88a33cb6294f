"""Benchmark: 5,000 synthetic articles: cold and warm load (vector cache), query p50/p95."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from kb.encoder import CHOICES, choose_encoder, load_encoder
from kb.knowledge import open_index
from kb.matcher import best_match

SYLLABLE_TEXT = "ta ti to pa pe po ra re ri ro la le lo ma me mi na ne ni sa se si ca co cu " \
    "ve va de do gu ga fi fe bra tri pro con des men ción dad mente ing er ly"
FUNCTION_TEXT = {
    "es": "cómo el la de que en para por con mi los las un una se puedo qué dónde",
    "en": "how do i the to my a an for in of can what where is with",
}
SYLLABLES = tuple(SYLLABLE_TEXT.split())
FUNCTION = {lang: tuple(text.split()) for lang, text in FUNCTION_TEXT.items()}


def make_vocabulary(rng: random.Random, size: int) -> list[str]:
    """Pseudo-words of 2–4 syllables: a large, realistic-sized vocabulary."""
    return ["".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(size)]


def sentence(rng: random.Random, vocab: list[str], lang: str, words: int) -> str:
    picked = [rng.choice(vocab) if rng.random() < 0.6 else rng.choice(FUNCTION[lang])
              for _ in range(words)]
    return " ".join(picked).capitalize()


def write_articles(folder: Path, rng: random.Random, count: int) -> list[list[str]]:
    """Write `count` articles as Markdown; return each article's questions."""
    vocab = {lang: make_vocabulary(rng, 12_000) for lang in ("es", "en")}
    all_questions = []
    for number in range(count):
        lang = "es" if number % 2 else "en"
        questions = [sentence(rng, vocab[lang], lang, rng.randint(5, 10)) + "?" for _ in range(3)]
        body = ". ".join(sentence(rng, vocab[lang], lang, 12) for _ in range(rng.randint(4, 8)))
        tags = ", ".join(rng.sample(vocab[lang], 3))
        lines = ["---", f"id: topic-{number // 2}-{lang}", f"lang: {lang}",
                 f"title: {sentence(rng, vocab[lang], lang, 4)}", "questions:"]
        lines += [f'  - "{q}"' for q in questions] + [f"tags: [{tags}]", "---", body, ""]
        (folder / f"a{number:05}.md").write_text("\n".join(lines), encoding="utf-8")
        all_questions.append(questions)
    return all_questions


def make_query(rng: random.Random, questions: list[list[str]]) -> str:
    """A question reworded: some words dropped, one typo, sometimes a long chatty message."""
    words = rng.choice(rng.choice(questions)).split()
    kept = [w for w in words if rng.random() > 0.25] or words
    i = rng.randrange(len(kept))
    kept[i] = kept[i][:-1] if len(kept[i]) > 4 else kept[i]
    text = " ".join(kept)
    return f"Hola, buenas tardes. {text} {rng.choice(rng.choice(questions))} gracias" \
        if rng.random() < 0.1 else text


def timed(action):  # type: ignore[no-untyped-def]
    """(result, wall seconds, CPU seconds of the whole process)."""
    start, start_cpu = time.perf_counter(), time.process_time()
    result = action()
    return result, time.perf_counter() - start, time.process_time() - start_cpu


def query_times(index, queries: list[str]):  # type: ignore[no-untyped-def]
    """((p50, p95) wall ms, (p50, p95) CPU ms of the calling thread) over `queries`."""
    best_match(index, queries[0])  # builds the language detector once
    times, cpu = [], []
    for query in queries:
        start, start_cpu = time.perf_counter(), time.thread_time()
        best_match(index, query)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    return [(statistics.median(t), statistics.quantiles(t, n=20)[18]) for t in (times, cpu)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=5_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--lexical-only", action="store_true", help="leave the encoder out")
    parser.add_argument("--encoder", choices=CHOICES, default="auto", help="as kb.encoder")
    args = parser.parse_args()
    rng = random.Random(7)
    meaning = not args.lexical_only
    choose_encoder(args.encoder)
    encoder, model_s, _ = timed(load_encoder) if meaning else (None, 0.0, 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        questions = write_articles(Path(tmp), rng, args.articles)
        _, cold_s, cold_cpu = timed(lambda: open_index(tmp, meaning))
        index, warm_s, warm_cpu = timed(lambda: open_index(tmp, meaning))
    queries = [make_query(rng, questions) for _ in range(args.queries)]
    (p50, p95), (cpu50, cpu95) = query_times(index, queries)
    print(f"kb_latency articles={args.articles} "
          f"meaning={encoder.name if encoder else 'off'} "
          f"model_load_s={model_s:.2f} cold_load_s={cold_s:.2f} (cpu {cold_cpu:.2f}) "
          f"warm_load_s={warm_s:.2f} (cpu {warm_cpu:.2f}) "
          f"queries={args.queries} p50_ms={p50:.2f} p95_ms={p95:.2f} "
          f"cpu_p50_ms={cpu50:.2f} cpu_p95_ms={cpu95:.2f} load_avg={os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
