"""When to answer: a logistic model over the match signals says how likely the best is right.

The models are fitted by `bench/kb_calibrate.py` with cross-validation on the dev split of the
shared evaluation set only, and saved to `kb/abstention.json`. The decision threshold is not
fitted: a right answer earns 1 and a wrong one costs 2 (an abstention costs 0), so answering
pays off exactly when the probability of being right exceeds 2/3.

The dev questions are few, so the fitted model is unsure of itself on messages unlike them (it
was over-confident on the test split). Beside the model, the file keeps the same model refitted
on bootstrap resamples of the dev questions; the probability the decision reads is their mean
minus half a standard deviation (`UNSURE_PENALTY`, chosen by dev cross-validation among 0, 0.5,
1, 1.5 and 2): where the resamples disagree, the bot answers less readily. Dev cross-validation
(`bench/kb_encoder_cv.py`): the same score or better, about a third fewer false answers.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy

log = logging.getLogger(__name__)
MODEL_FILE = Path(__file__).with_name("abstention.json")
ANSWER_PROBABILITY = 2 / 3
UNSURE_PENALTY = 0.5   # standard deviations of the bootstrap models' probabilities taken off
MEANING_FEATURES = ("combined_margin", "meaning", "meaning_margin",
                    "lexical", "lexical_margin", "agree")
LEXICAL_FEATURES = ("lexical", "lexical_margin", "length")


@dataclass(frozen=True)
class AbstentionModel:
    """Logistic regression: P(best candidate is the right answer | signals)."""

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    # the model refitted on bootstrap resamples: (coefficients..., intercept) each
    bootstrap: tuple[tuple[float, ...], ...] = ()

    def probability(self, signals: dict[str, float]) -> float:
        """The model's probability that the best candidate is right."""
        return _logistic(self.intercept, self.coef, self._values(signals))

    def cautious(self, signals: dict[str, float]) -> float:
        """What the decision reads: the bootstrap models' mean probability minus
        `UNSURE_PENALTY` standard deviations (the plain probability when none was fitted)."""
        if not self.bootstrap:
            return self.probability(signals)
        z = self._refits @ numpy.array([*self._values(signals), 1.0])
        found = 1.0 / (1.0 + numpy.exp(-numpy.clip(z, -50.0, 50.0)))
        return cautious_probability(found)

    @cached_property
    def _refits(self) -> numpy.ndarray:
        return numpy.array(self.bootstrap, dtype=numpy.float64)

    def _values(self, signals: dict[str, float]) -> list[float]:
        return [signals[f] for f in self.features]

    def to_json(self) -> dict[str, object]:
        return {"features": list(self.features), "coef": list(self.coef),
                "intercept": self.intercept, "bootstrap": [list(b) for b in self.bootstrap]}


def cautious_probability(probabilities: Sequence[float] | numpy.ndarray) -> float:
    """Mean minus `UNSURE_PENALTY` standard deviations, clipped at 0."""
    found = numpy.asarray(probabilities, dtype=numpy.float64)
    return max(float(found.mean() - UNSURE_PENALTY * found.std()), 0.0)


def _logistic(intercept: float, coef: Sequence[float], values: Sequence[float]) -> float:
    z = intercept + sum(c * v for c, v in zip(coef, values, strict=True))
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def _from_json(data: dict) -> AbstentionModel:
    bootstrap = tuple(tuple(float(v) for v in row) for row in data.get("bootstrap", ()))
    return AbstentionModel(tuple(data["features"]), tuple(float(c) for c in data["coef"]),
                           float(data["intercept"]), bootstrap)


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
