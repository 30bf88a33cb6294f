"""When to answer: a logistic model over the match signals says how likely the best is right.

The models are fitted by `bench/kb_calibrate.py` with cross-validation on the dev split of the
shared evaluation set only, and saved to `kb/abstention.json`. The decision threshold is not
fitted: a right answer earns 1 and a wrong one costs 2 (an abstention costs 0), so answering
pays off exactly when the probability of being right exceeds 2/3.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)
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
def load_models(path: Path = MODEL_FILE) -> dict[str | None, AbstentionModel]:
    """{encoder name: model over both signals, None: the words-only model} from the file."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    models: dict[str | None, AbstentionModel] = {None: _from_json(saved["lexical"])}
    models.update((name, _from_json(fitted)) for name, fitted in saved["meaning"].items())
    return models


def model_for(encoder: str | None) -> AbstentionModel:
    """The model fitted for this sentence encoder's signal, or the words-only one (no encoder,
    or one no model was fitted for: then the meaning signal only ranks the candidates)."""
    models = load_models()
    if encoder not in models:
        _warn_unfitted(encoder)
        return models[None]
    return models[encoder]


@cache
def _warn_unfitted(encoder: str | None) -> None:
    log.warning("no abstention model fitted for encoder %s (bench/kb_calibrate.py): "
                "deciding on words", encoder)
