"""Small classifiers over a message's meaning vector and word signals (numpy softmax regression)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy
from threadpoolctl import threadpool_limits

from bot.engine.triage.meaning import GROUPS
from bot.engine.triage.words import CATEGORY_WORDS, IMPACT_WORDS, category_hits, impact_hits

CATEGORIES = ("technical", "functional", "billing", "account", "training", "customization",
              "emergency", "suggestion")
PRIORITIES = ("low", "medium", "high", "critical")
EMERGENCY_CLASSES = ("other", "emergency")   # the dedicated emergency score's two classes
# Which priorities a category's tickets take (the help page's rules): the priority model
# chooses among these only.
ALLOWED: dict[str, tuple[str, ...]] = {
    "technical": ("medium", "high"),
    "functional": ("low", "medium", "high"),
    "billing": PRIORITIES,
    "account": PRIORITIES,
    "training": ("low", "medium", "high"),
    "customization": ("low", "medium", "high"),
    "emergency": ("high", "critical"),
    "suggestion": ("low",),
}
WORD_WEIGHT = 1.0     # scale of the word signals beside a unit-length meaning vector
# The category model reads the meaning vector at this scale (the priority model at 1): a larger
# scale lets meaning outweigh the word lists, which were written reading dev and carry less
# to other products (chosen on the config examples fitted on dev only, see the README).
CATEGORY_MEANING_SCALE = 2.0
L2 = 0.005
STEPS = 400
RATE = 2.0


@dataclass(frozen=True)
class Example:
    text: str
    category: str
    priority: str


def word_features(text: str) -> numpy.ndarray:
    """log(1 + hits) per category word list and per impact word list."""
    hits = [*category_hits(text).values(), *impact_hits(text).values()]
    return numpy.log1p(numpy.asarray(hits, dtype=numpy.float32)) * WORD_WEIGHT


WORD_FEATURES = len(CATEGORY_WORDS) + len(IMPACT_WORDS)


def features(vectors: numpy.ndarray, texts: Sequence[str]) -> numpy.ndarray:
    """Meaning vector (when there is one) and word signals, one row per text."""
    words = numpy.stack([word_features(t) for t in texts]) if texts else numpy.zeros(
        (0, WORD_FEATURES), numpy.float32)
    return numpy.hstack([vectors, words]).astype(numpy.float32)


def category_inputs(x: numpy.ndarray, dimensions: int) -> numpy.ndarray:
    """The category model's row: the first `dimensions` columns (the meaning vector) scaled."""
    out = x.copy()
    out[:, :dimensions] *= CATEGORY_MEANING_SCALE
    return out


def one_hot(labels: Sequence[str], classes: Sequence[str]) -> numpy.ndarray:
    index = {name: i for i, name in enumerate(classes)}
    out = numpy.zeros((len(labels), len(classes)), dtype=numpy.float32)
    out[numpy.arange(len(labels)), [index[label] for label in labels]] = 1.0
    return out


@dataclass(frozen=True)
class Softmax:
    """Multinomial logistic regression: weights (features, classes) and biases."""

    classes: tuple[str, ...]
    weights: numpy.ndarray
    bias: numpy.ndarray

    def logits(self, x: numpy.ndarray) -> numpy.ndarray:
        return x @ self.weights + self.bias

    def probabilities(self, x: numpy.ndarray) -> numpy.ndarray:
        z = self.logits(x)
        z = numpy.exp(z - z.max(axis=-1, keepdims=True))
        return z / z.sum(axis=-1, keepdims=True)


def fit(x: numpy.ndarray, labels: Sequence[str], classes: Sequence[str],
        sample_weight: numpy.ndarray | None = None) -> Softmax:
    """Full-batch gradient descent with L2; deterministic, a few ms for a few hundred rows."""
    y = one_hot(labels, classes)
    n, d = x.shape
    w = numpy.zeros((d, len(classes)), dtype=numpy.float32)
    b = numpy.zeros(len(classes), dtype=numpy.float32)
    sw = (numpy.ones(n, numpy.float32) if sample_weight is None
          else sample_weight.astype(numpy.float32))[:, None] / max(n, 1)
    model = Softmax(tuple(classes), w, b)
    xt = numpy.ascontiguousarray(x.T)
    with threadpool_limits(limits=1):   # tiny products: BLAS threads only contend on a busy box
        for _ in range(STEPS):
            error = (model.probabilities(x) - y) * sw
            w -= RATE * (xt @ error + L2 * w)
            b -= RATE * error.sum(axis=0)
    return model


# The last columns of a row: impact word signals, then closeness to each kind of impact.
IMPACT_COLUMNS = len(IMPACT_WORDS) + len(GROUPS)


def priority_inputs(x: numpy.ndarray, categories: Sequence[str]) -> numpy.ndarray:
    """The priority model also reads the category (one-hot) and each impact signal within
    each category: "customers feel it" makes technical high, it says nothing in a suggestion."""
    hot = one_hot(categories, CATEGORIES)
    impact = x[:, -IMPACT_COLUMNS:]
    within = (hot[:, :, None] * impact[:, None, :]).reshape(len(x), -1)
    return numpy.hstack([x, hot, within]).astype(numpy.float32)


def allowed_mask(category: str) -> numpy.ndarray:
    return numpy.array([p in ALLOWED[category] for p in PRIORITIES])


NEIGHBOURS = 5   # examples that vote on a message's category
NEIGHBOUR_SHARE = 0.5   # their vote's share beside the softmax, times the nearest one's cosine


@dataclass(frozen=True)
class Neighbours:
    """The examples' meaning vectors and category indexes: the nearest ones vote, each with
    its cosine closeness (a paraphrase of one example counts even if the softmax smooths it)."""

    vectors: numpy.ndarray   # (n, d), unit rows
    labels: numpy.ndarray    # (n,) index into CATEGORIES

    def blend(self, probs: numpy.ndarray, vector: numpy.ndarray) -> numpy.ndarray:
        """The softmax's probabilities mixed with the neighbours' vote (unchanged without
        meaning vectors)."""
        if self.vectors.shape[0] == 0 or vector.shape[1] == 0:
            return probs
        sims = self.vectors @ vector[0]
        nearest = numpy.argsort(-sims, kind="stable")[:NEIGHBOURS]
        votes = numpy.zeros(len(CATEGORIES), dtype=numpy.float64)
        numpy.add.at(votes, self.labels[nearest], numpy.maximum(sims[nearest], 0.0))
        if votes.sum() <= 0:
            return probs
        share = NEIGHBOUR_SHARE * float(sims[nearest[0]])   # far neighbours say little
        return (1 - share) * probs + share * votes / votes.sum()
