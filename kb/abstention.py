"""When to answer: a logistic model over the match signals says how likely the best is right.

The models are fitted by `bench/kb_calibrate.py` with cross-validation on the dev split of the
shared evaluation set only, and saved to `kb/abstention.json`. The decision threshold is not
fitted: a right answer earns 1 and a wrong one costs 2 (an abstention costs 0), so answering
pays off exactly when the probability of being right exceeds 2/3.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MODEL_FILE = Path(__file__).with_name("abstention.json")
ANSWER_PROBABILITY = 2 / 3
MEANING_FEATURES = ("combined_margin", "meaning", "meaning_margin",
                    "lexical", "lexical_margin", "agree")
LEXICAL_FEATURES = ("lexical", "lexical_margin", "length")


@dataclass(frozen=True)
class AbstentionModel:
    """Logistic regression: P(best candidate is the right answer | signals)."""

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float

    def probability(self, signals: dict[str, float]) -> float:
        z = self.intercept + sum(c * signals[f] for f, c in zip(self.features, self.coef,
                                                                  strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def to_json(self) -> dict[str, object]:
        return {"features": list(self.features), "coef": list(self.coef),
                "intercept": self.intercept}


def _from_json(data: dict) -> AbstentionModel:
    return AbstentionModel(tuple(data["features"]), tuple(float(c) for c in data["coef"]),
                           float(data["intercept"]))


@cache
def load_models(path: Path = MODEL_FILE) -> dict[str, AbstentionModel]:
    """{"meaning": model, "lexical": model} from the fitted file."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    return {name: _from_json(saved[name]) for name in ("meaning", "lexical")}


def model_for(has_meaning: bool) -> AbstentionModel:
    """The model over both signals, or the lexical-only one when no encoder is installed."""
    return load_models()["meaning" if has_meaning else "lexical"]
