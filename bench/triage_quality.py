"""Benchmark: ticket triage (category and priority) on the shared triage-eval set, in process.

Prints, for the dev and the test split: category, priority and both right, emergency recall and
precision, tickets left without a category, how many got the yes/no impact question, a
by-category table, and the time triage takes per message (p50/p95, encoder included, the
message's vector not yet cached). Encodings of the eval texts are cached under .cache/ (git
ignored), so a rerun costs seconds. When the bot asks its one yes/no question, the customer
answers as in the shared scorer: "no sé, por favor revisen" / "not sure, please check".

Tune on dev only; report test. The end-to-end scorer (`../shared/triage-eval/score.py`) runs
the whole bot (KB, follow-ups) and takes minutes; this bench measures the triage itself.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO.parent / "shared" / "triage-eval" / "messages.jsonl"
DEV_SHARE = 0.4
CATEGORIES = ("technical", "functional", "billing", "account", "training", "customization",
              "emergency", "suggestion")
NEUTRAL = {"es": "no sé, por favor revisen", "en": "not sure, please check"}

CACHE = REPO / ".cache" / "triage-eval-vectors.npz"
# 125 first messages written for other small businesses (restaurants, salons, hotels, car
# workshops, shops, laundries), labelled by the shared set's label guide, after the word lists,
# rules and config examples and never used to write them: a blind stand-in for an unseen
# product. Do not tune word lists, rules or examples on it.
UNSEEN = Path(__file__).with_name("triage_unseen.jsonl")


def load(path: Path) -> dict[str, list[dict[str, Any]]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    cut = round(len(rows) * DEV_SHARE)
    return {"dev": rows[:cut], "test": rows[cut:], "all": rows}


def triager() -> Callable[[str, str], tuple[str | None, str, bool]]:
    """(text, lang) → (category, priority, asked the yes/no question) with the checkout's triage."""
    try:
        from bot.engine.triage.classify import Triager
    except ImportError:   # the keyword triage of main, before issue 20
        from bot.engine import triage

        def legacy(text: str, lang: str) -> tuple[str | None, str, bool]:
            category = triage.infer_category(text)
            return category, triage.infer_priority(text, category), False
        return legacy
    from bot.config.root import load_config
    from bot.engine.triage.classify import config_examples
    from bot.engine.triage.vectors import cached_encoder
    config = load_config(REPO / "config.yaml")
    engine = Triager(config_examples(config), cached_encoder(CACHE))

    def current(text: str, lang: str) -> tuple[str | None, str, bool]:
        found = engine.classify(text)
        if found.ask_impact:   # the customer answers the yes/no question neutrally
            found = engine.after_answer(found, None)
            return found.category, found.priority, True
        return found.category, found.priority, False
    return current


# The public set's five products, told apart by their everyday words (bench only): leaving one
# product out of the fit is the closest dev-side stand-in for an unseen product.
PRODUCTS = {
    "gym": r"\b(soci|clase|gym|gimnas|check ?in|qr|member|class|reserv|spot|waitlist|pack)",
    "pharmacy": r"\b(farmac|botica|receta|lote|pharmac|batch|prescri|vencimiento|expir|medicament)",
    "school": r"\b(colegio|papas|padres|pension|matricul|tuition|parent|school|alumn|student|"
              r"escuel|cuota)",
    "logistics": r"\b(guia|repartidor|envio|ruta|driver|waybill|shipment|tracking|deliver|"
                 r"entrega|despach|paquete)",
    "vet": r"\b(mascota|veterinari|vacun|pet|vet\b|clinic|perro|gato|paciente|historia)",
}


def product_folds(rows: list[dict[str, Any]]) -> dict[int, int]:
    """Fold = the product a message names most (messages naming none form one more fold)."""
    from kb.normalize import normalize_text
    names = [*PRODUCTS, "none"]
    folds = {}
    for i, row in enumerate(rows):
        norm = normalize_text(row["q"])
        hits = {name: len(re.findall(pattern, norm)) for name, pattern in PRODUCTS.items()}
        best = max(hits, key=lambda name: hits[name])
        folds[i] = names.index(best if hits[best] else "none")
    return folds


def category_folds(rows: list[dict[str, Any]], folds: int) -> dict[int, int]:
    """K folds stratified by category, in the file's order."""
    fold_of = {}
    for name in CATEGORIES:
        for i, index in enumerate(j for j, r in enumerate(rows) if r["category"] == name):
            fold_of[index] = (i + CATEGORIES.index(name)) % folds
    return fold_of


def cross_validated(rows: list[dict[str, Any]], fold_of: dict[int, int]) -> list[dict[str, Any]]:
    """Each dev message triaged by a Triager fitted without its fold: the config's descriptions
    and examples plus the other folds of dev. Tune on this."""
    from bot.config.root import load_config
    from bot.engine.triage.classify import Triager, config_examples
    from bot.engine.triage.model import Example
    from bot.engine.triage.vectors import cached_encoder
    config = load_config(REPO / "config.yaml")
    base = config_examples(config.model_copy(update={"triage": config.triage.model_copy(
        update={"shipped_examples": False, "examples_file": ""})}))
    encoder = cached_encoder(CACHE)
    results: list[dict[str, Any]] = [{} for _ in rows]
    for fold in sorted(set(fold_of.values())):
        train = [Example(r["q"], r["category"], r["priority"])
                 for i, r in enumerate(rows) if fold_of[i] != fold]
        engine = Triager(base + train, encoder)
        for i, row in enumerate(rows):
            if fold_of[i] == fold:
                found = engine.classify(row["q"])
                asked = found.ask_impact
                if asked:
                    found = engine.after_answer(found, None)
                results[i] = {**row, "got_category": found.category,
                              "got_priority": found.priority, "asked": asked}
    return results


def config_split() -> tuple[list[Any], list[dict[str, Any]]]:
    """The desk's category descriptions (always fitted on) and its labelled example messages
    (written for other small businesses than the set's five products), as eval rows."""
    from bot.config.root import load_config
    from bot.engine.triage.classify import config_examples
    config = load_config(REPO / "config.yaml")
    base = config_examples(config.model_copy(update={"triage": config.triage.model_copy(
        update={"shipped_examples": False, "examples_file": ""})}))
    described = [e for e in base if not e.priority]
    labelled = [{"q": e.text, "category": e.category, "priority": e.priority, "lang": ""}
                for e in base if e.priority]
    return described, labelled


def crossed(train: list[dict[str, Any]], score: list[dict[str, Any]],
            described: list[Any]) -> list[dict[str, Any]]:
    """`score`'s messages triaged by a Triager fitted on the descriptions and `train` only."""
    from bot.engine.triage.classify import Triager
    from bot.engine.triage.model import Example
    from bot.engine.triage.vectors import cached_encoder
    engine = Triager(described + [Example(r["q"], r["category"], r["priority"]) for r in train],
                     cached_encoder(CACHE))
    results = []
    for row in score:
        found = engine.classify(row["q"])
        asked = found.ask_impact
        if asked:
            found = engine.after_answer(found, None)
        results.append({**row, "got_category": found.category, "got_priority": found.priority,
                        "asked": asked})
    return results


def warm_cache(rows: list[dict[str, Any]]) -> None:
    """Encode every eval text once through the on-disk cache (the machine is shared): the
    message and its sentences, as the KB matcher encodes them before triage reads them."""
    try:
        from bot.engine.triage.classify import core_text
        from bot.engine.triage.vectors import cached_encoder
        from kb.sentences import split_message
    except ImportError:
        return
    encoder = cached_encoder(CACHE)
    if encoder is not None:
        encoder.encode_many([text for row in rows for text in
                             (core_text(row["q"]), *split_message(row["q"]).texts)])
        encoder.save()


def run(rows: list[dict[str, Any]],
        triage: Callable) -> tuple[list[dict[str, Any]], list[tuple[float, float]]]:
    results, times = [], []
    for row in rows:
        start, cpu = time.perf_counter(), time.thread_time()
        category, priority, asked = triage(row["q"], row["lang"])
        times.append((time.perf_counter() - start, time.thread_time() - cpu))
        results.append({**row, "got_category": category, "got_priority": priority,
                        "asked": asked})
    return results, times


def pct(num: int, den: int) -> str:
    return f"{100.0 * num / den:5.1f}%" if den else "    —"


def percentiles(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return f"p50 {statistics.median(ms):.2f} ms  p95 {p95:.2f} ms"


def report(split: str, results: list[dict[str, Any]], times: list[tuple[float, float]]) -> None:
    n = len(results)
    cat = sum(r["got_category"] == r["category"] for r in results)
    pri = sum(r["got_priority"] == r["priority"] for r in results)
    both = sum(r["got_category"] == r["category"] and r["got_priority"] == r["priority"]
               for r in results)
    gold_em = sum(r["category"] == "emergency" for r in results)
    got_em = sum(r["got_category"] == "emergency" for r in results)
    hit_em = sum(r["category"] == r["got_category"] == "emergency" for r in results)
    print(f"== {split} (n {n})")
    print(f"category {pct(cat, n)}  priority {pct(pri, n)}  both {pct(both, n)}  "
          f"no category {sum(r['got_category'] is None for r in results)}  "
          f"asked yes/no {sum(r['asked'] for r in results)}")
    print(f"emergency recall {pct(hit_em, gold_em)} ({hit_em}/{gold_em})  "
          f"precision {pct(hit_em, got_em)} ({hit_em}/{got_em})")
    asked = collections.Counter(r["category"] for r in results if r["asked"])
    print("asked yes/no, by gold category: " + (" ".join(
        f"{k[:5]}:{v}" for k, v in asked.most_common()) or "none"))
    print(f"{'category':<14}{'n':>4}{'cat':>8}{'pri':>8}{'both':>8}   predicted as")
    for name in CATEGORIES:
        rows = [r for r in results if r["category"] == name]
        got = collections.Counter(r["got_category"] or "none" for r in rows)
        print(f"{name:<14}{len(rows):>4}"
              f"{pct(sum(r['got_category'] == name for r in rows), len(rows)):>8}"
              f"{pct(sum(r['got_priority'] == r['priority'] for r in rows), len(rows)):>8}"
              f"{pct(sum(r['got_category'] == name and r['got_priority'] == r['priority'] for r in rows), len(rows)):>8}"  # noqa: E501
              f"   " + " ".join(f"{k[:5]}:{v}" for k, v in got.most_common()))
    print("priority      gold→predicted: " + " ".join(
        f"{g[:4]}→{p[:4]}:{c}" for (g, p), c in sorted(collections.Counter(
            (r["priority"], r["got_priority"]) for r in results).items())))
    if not times:
        return
    print(f"triage time per message (message vector cached): wall "
          f"{percentiles([w for w, _ in times])}, CPU {percentiles([c for _, c in times])}  "
          f"(load average {os.getloadavg()[0]:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=Path, default=EVAL)
    parser.add_argument("--split", choices=["dev", "test", "all"], action="append",
                        help="repeatable; default: dev and test")
    parser.add_argument("--repo", type=Path, default=REPO,
                        help="the checkout whose triage is measured (e.g. ../main)")
    parser.add_argument("--details", type=Path, help="write one JSON line per message here")
    parser.add_argument("--cv", type=int, metavar="K",
                        help="also K-fold cross-validation on dev (fitted without dev's fold)")
    parser.add_argument("--cv-products", action="store_true",
                        help="also leave-one-product-out cross-validation on dev")
    parser.add_argument("--unseen", action="store_true",
                        help="also bench/triage_unseen.jsonl (other businesses, written blind) "
                             "triaged as shipped and by a fit on the descriptions and dev only")
    parser.add_argument("--cross", action="store_true",
                        help="also the config's examples (other businesses) triaged by a fit "
                             "on dev only, and dev triaged by a fit on the config's examples")
    args = parser.parse_args()
    if not args.messages.exists():
        sys.exit(f"triage_quality: {args.messages} not found (the shared triage-eval set)")
    sys.path.insert(0, str(args.repo.resolve()))
    splits = load(args.messages)
    warm_cache(splits["all"])
    triage = triager()
    details = []
    if args.cv:
        report(f"dev, {args.cv}-fold cross-validated",
               cross_validated(splits["dev"], category_folds(splits["dev"], args.cv)), [])
    if args.cv_products:
        report("dev, leave-one-product-out", cross_validated(
            splits["dev"], product_folds(splits["dev"])), [])
    if args.cross:
        described, labelled = config_split()
        report("config examples, fitted on dev only", crossed(splits["dev"], labelled,
                                                              described), [])
        report("dev, fitted on the config examples only", crossed(labelled, splits["dev"],
                                                                   described), [])
    if args.unseen:
        unseen = [json.loads(line) for line in UNSEEN.read_text(encoding="utf-8").splitlines()
                  if line.strip()]
        warm_cache(unseen)
        report("unseen businesses, as shipped", run(unseen, triage)[0], [])
        report("unseen businesses, fitted on dev only", crossed(
            splits["dev"], unseen, config_split()[0]), [])
    for split in args.split or ["dev", "test"]:
        results, times = run(splits[split], triage)
        report(split, results, times)
        details += [{"split": split, **r} for r in results]
    if args.details:
        args.details.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                        for r in details), encoding="utf-8")


if __name__ == "__main__":
    main()
