"""Fit the KB abstention models on the dev split only (cross-validated) and save them."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from pathlib import Path

import numpy
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
EVAL = REPO.parent / "shared" / "kb-eval"

from kb.abstention import LEXICAL_FEATURES, MEANING_FEATURES, MODEL_FILE  # noqa: E402
from kb.encoder import PREFERENCE, load_encoder  # noqa: E402
from kb.loader import load_kb  # noqa: E402
from kb.matcher import best_match, build_index  # noqa: E402
from kb.vectors import build_vectors  # noqa: E402

FOLDS = 5
BOOTSTRAPS = 30   # resampled refits kept beside the model (kb.abstention.UNSURE_PENALTY)


def dev_questions(path: Path) -> list[dict]:
    """The first 40 % of the lines: the scorer's dev split (the test split is never read)."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return lines[: round(0.4 * len(lines))]


def write_eval_kb(folder: Path) -> None:
    """The articles as Markdown, written by the shared scorer's own function."""
    spec = importlib.util.spec_from_file_location("kb_eval_score", EVAL / "score.py")
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    scorer.write_kb(json.loads((EVAL / "articles.json").read_text(encoding="utf-8")), folder)


def rows(index, questions: list[dict], features: tuple[str, ...]):
    """(signals matrix, 1 when the best candidate is the expected article)."""
    x, y = [], []
    for q in questions:
        match = best_match(index, q["q"])
        top = match.candidates[0].article_id if match.candidates else None
        x.append([match.signals.get(f, 0.0) for f in features])
        y.append(int(q["expect"] is not None and top == q["expect"]))
    return numpy.array(x), numpy.array(y)


def fit_model(x: numpy.ndarray, y: numpy.ndarray) -> LogisticRegressionCV:
    """The logistic model, its regularisation chosen by 5-fold CV (log loss)."""
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
    model = LogisticRegressionCV(Cs=12, cv=folds, scoring="neg_log_loss", max_iter=5000)
    return model.fit(x, y)


def bootstrap_rows(x: numpy.ndarray, y: numpy.ndarray, c: float,
                   seed: int = 0) -> list[list[float]]:
    """The model (regularisation `c`) refitted on BOOTSTRAPS resamples of the questions, each
    as [coefficients..., intercept]."""
    rng = numpy.random.default_rng(seed)
    found = []
    while len(found) < BOOTSTRAPS:
        chosen = rng.choice(len(y), len(y), replace=True)
        if len(set(y[chosen].tolist())) < 2:   # a resample needs right and wrong answers
            continue
        model = LogisticRegression(C=c, max_iter=5000).fit(x[chosen], y[chosen])
        found.append([*map(float, model.coef_[0]), float(model.intercept_[0])])
    return found


def fit(x: numpy.ndarray, y: numpy.ndarray, features: tuple[str, ...]) -> tuple[dict, float]:
    model = fit_model(x, y)
    loss = -float(numpy.max(numpy.mean(model.scores_[1], axis=0)))
    return {"features": list(features), "coef": [float(c) for c in model.coef_[0]],
            "intercept": float(model.intercept_[0]), "C": float(model.C_[0]),
            "bootstrap": bootstrap_rows(x, y, float(model.C_[0]))}, loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(MODEL_FILE))
    args = parser.parse_args()
    questions = dev_questions(EVAL / "questions.jsonl")
    with tempfile.TemporaryDirectory() as tmp:
        write_eval_kb(Path(tmp))
        articles = load_kb(tmp)
    encoders = [e for e in (load_encoder(name) for name in PREFERENCE) if e is not None]
    if not encoders:
        sys.exit("kb_calibrate: a sentence encoder is needed to fit the meaning models")
    saved: dict = {"fitted_on": "kb-eval dev split (first 40 %)", "folds": FOLDS, "meaning": {}}
    losses = []
    for encoder in encoders:
        index = build_index(articles, build_vectors(articles, encoder))
        saved["meaning"][encoder.name], loss = fit(*rows(index, questions, MEANING_FEATURES),
                                                   MEANING_FEATURES)
        losses.append(f"{encoder.name}_cv_log_loss={loss:.3f}")
    saved["lexical"], loss = fit(*rows(build_index(articles), questions, LEXICAL_FEATURES),
                                 LEXICAL_FEATURES)
    losses.append(f"lexical_cv_log_loss={loss:.3f}")
    Path(args.out).write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
    print(f"kb_calibrate n={len(questions)} " + " ".join(losses) + f" -> {args.out}")


if __name__ == "__main__":
    main()
