"""Triager: a message's category and priority from its meaning, its words and its impact."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import numpy

from bot.engine.triage import fitted, impact
from bot.engine.triage.meaning import ImpactMeaning, statements
from bot.engine.triage.model import (
    CATEGORIES,
    EMERGENCY_CLASSES,
    NEIGHBOUR_SHARE,
    NEIGHBOURS,
    PRIORITIES,
    Example,
    Neighbours,
    allowed_mask,
    category_inputs,
    features,
    fit,
    priority_inputs,
)
from bot.engine.triage.vectors import CachedEncoder, cached_encoder
from kb.sentences import split_message

if TYPE_CHECKING:
    from bot.config.root import AtiendeConfig

SHIPPED_EXAMPLES = Path(__file__).with_name("examples.jsonl")
RANK = {p: i for i, p in enumerate(PRIORITIES)}
ASK_LOW, ASK_HIGH = 0.2, 0.5   # P(emergency) in this band: ask the yes/no question
MEANING_WEIGHT = 1.5   # scale of the impact closeness features (1.25 to 1.75 alike)


@dataclass(frozen=True)
class Verdict:
    """The triage of one message: best-guess category and priority, and whether to ask the
    customer one yes/no question ("is your operation or your sales stopped?")."""

    category: str
    priority: str
    ask_impact: bool = False
    emergency: float = 0.0          # the classifier's P(emergency)
    runner_up: str = "technical"    # the best category that is not an emergency
    fallback_priority: str = "high"  # the priority if the answer is "no"


def core_text(text: str) -> str:
    """What is encoded: the message without greetings, quotes and signature (as the KB does,
    so the KB matcher's vector of the same text is reused)."""
    return split_message(text).core


class Triager:
    """Fitted once per process on config examples, shipped examples and approved corrections."""

    def __init__(self, examples: Sequence[Example], encoder: CachedEncoder | None,
                 ask_band: tuple[float, float] | None = None,
                 model_dir: Path | None = None) -> None:
        self.encoder = encoder
        self.ask_band = ask_band or (ASK_LOW, ASK_HIGH)
        self.size = len(examples)
        said = self._vectors(statements(), centered=False)
        self.center = shared_direction(said)
        self.meaning = ImpactMeaning(self._centered(said))
        key = fitted.inputs_key(examples, encoder.encoder.name if encoder else "none",
                                [statements(), MEANING_WEIGHT, NEIGHBOURS, NEIGHBOUR_SHARE,
                                 "sentences", "centered"])
        saved = fitted.load(model_dir, key)
        self.refitted = saved is None   # False: loaded from `model_dir`, nothing encoded
        if saved is None:
            saved = self._fit(examples)
            fitted.save(model_dir, key, *saved)
        self.categories, self.priorities, self.neighbours, self.emergency_score = saved

    def _fit(self, examples: Sequence[Example]) -> fitted.Fitted:
        texts = [e.text for e in examples]
        vectors = self._vectors(texts)
        x = self._features(vectors, texts, self._sentence_closeness(texts))
        inputs = category_inputs(x, vectors.shape[1])
        categories = fit(inputs, [e.category for e in examples], CATEGORIES)
        emergency = fit(inputs, [emergency_label(e.category) for e in examples],
                        EMERGENCY_CLASSES)
        labelled = [i for i, e in enumerate(examples) if e.priority]
        priorities = fit(
            priority_inputs(x[labelled], [examples[i].category for i in labelled]),
            [examples[i].priority for i in labelled], PRIORITIES)
        if self.encoder is not None:
            self.encoder.save()
        labels = numpy.array([CATEGORIES.index(e.category) for e in examples], dtype=numpy.int64)
        return categories, priorities, Neighbours(vectors, labels), emergency

    @classmethod
    def from_config(cls, config: AtiendeConfig, learned: Sequence[Example] = ()) -> Triager:
        """Fitted on the desk's category descriptions and examples, the examples file (or the
        shipped ones) and the approved agent corrections."""
        settings = config.triage
        cache = config.resolve_path(settings.cache) if settings.cache else None
        encoder = load_encoder_with_cache(cache)
        return cls(config_examples(config, learned), encoder,
                   model_dir=cache.parent if cache is not None else None)

    def _features(self, vectors: numpy.ndarray, texts: Sequence[str],
                  closeness: numpy.ndarray) -> numpy.ndarray:
        """Meaning vector, word signals and closeness to each kind of impact."""
        return numpy.hstack([features(vectors, texts), closeness * MEANING_WEIGHT])

    def _sentence_closeness(self, texts: Sequence[str]) -> numpy.ndarray:
        """(n, groups): each text's closest sentence to each kind of impact, over the whole
        message, its asked part and each sentence (what the KB matcher encodes anyway, so the
        encoder's memo has them): "nadie puede pagar" counts inside a long email."""
        if self.encoder is None:
            return self.meaning.closeness(numpy.zeros((len(texts), 0), dtype=numpy.float32))
        parts = [split_message(t).texts or (core_text(t),) for t in texts]
        flat = [p for group in parts for p in group]
        rows = self.meaning.closeness(self._centered(self._encode_parts(flat, len(texts) == 1)))
        bounds = numpy.cumsum([0, *(len(group) for group in parts)])
        return numpy.stack([rows[a:b].max(axis=0) for a, b in pairwise(bounds)])

    def _encode_parts(self, texts: list[str], one_message: bool) -> numpy.ndarray:
        assert self.encoder is not None
        if one_message:   # a live message: the KB matcher's memo, never the cache file
            return self.encoder.lookup_many(texts)
        return self.encoder.encode_many(texts)

    def _vectors(self, texts: Sequence[str], centered: bool = True) -> numpy.ndarray:
        if self.encoder is None:
            return numpy.zeros((len(texts), 0), dtype=numpy.float32)
        vectors = self.encoder.encode_many([core_text(t) for t in texts])
        return self._centered(vectors) if centered else vectors

    def _centered(self, vectors: numpy.ndarray) -> numpy.ndarray:
        """Unit rows without the shared direction."""
        if vectors.shape[1] == 0 or self.center.shape[0] != vectors.shape[1]:
            return vectors
        moved = vectors - self.center
        return (moved / numpy.maximum(numpy.linalg.norm(moved, axis=1, keepdims=True),
                                      1e-12)).astype(numpy.float32)

    def _vector(self, core: str) -> numpy.ndarray:
        """One message's vector, from its `core_text`: from the example cache when known, else
        through the KB encoder (its memo gives the KB matcher the same vector without encoding
        again)."""
        if self.encoder is None:
            return numpy.zeros((1, 0), dtype=numpy.float32)
        return self._centered(self.encoder.lookup(core))

    def classify(self, text: str, excluded: frozenset[str] = frozenset()) -> Verdict:
        """`excluded`: categories this customer may not open (the VIP-only ones once they
        were told so): the best of the others is taken."""
        # Words and impact are read, like the meaning, from what the customer wrote now: a
        # quoted thread ("nobody can pay", last month) or a signature's disclaimer ("any
        # unauthorised use…") says nothing of this ticket. At most 4,000 characters.
        core = core_text(text)
        vector = self._vector(core)
        x = self._features(vector, [core], self._sentence_closeness([text]))
        inputs = category_inputs(x, vector.shape[1])
        probs = self.neighbours.blend(self.categories.probabilities(inputs)[0], vector)
        score = float(self.emergency_score.probabilities(inputs)[0, 1])
        ranked = without(excluded, [CATEGORIES[i] for i in numpy.argsort(-probs, kind="stable")])
        p_emergency = float(probs[CATEGORIES.index("emergency")])
        signs = impact.read(core)
        category = impact.decide_category(ranked, p_emergency, signs, score)
        runner_up = next(c for c in ranked if c != "emergency")
        if (category == "emergency" and signs.billing_lock and not signs.intrusion
                and not signs.data_lost):   # a payment lock that stops sales: billing fixes it
            category = "billing"
        priority = impact.adjust_priority(category, self._priority(x, category), signs)
        fallback = self._priority(x, runner_up)
        unsure = self._unsure(category, priority, p_emergency, signs)
        return Verdict(category, priority, unsure, p_emergency, runner_up, fallback)

    def _unsure(self, category: str, priority: str, p_emergency: float,
                signs: impact.Signs) -> bool:
        """Whether to ask the yes/no question: a problem category, no stop said, and
        P(emergency) in the band or an outage-like word."""
        low, high = self.ask_band
        return (category in impact.ASKED_IN and category != "emergency"
                and not signs.stopped and (low <= p_emergency < high or signs.maybe_stopped)
                and RANK[priority] < RANK["critical"])

    def _priority(self, x: numpy.ndarray, category: str) -> str:
        probs = self.priorities.probabilities(priority_inputs(x, [category]))[0]
        return PRIORITIES[int(numpy.argmax(probs * allowed_mask(category)))]

    def after_answer(self, verdict: Verdict, stopped: bool | None) -> Verdict:
        """The customer's yes/no: yes makes it an emergency (or a sales-blocking billing
        problem); no keeps the best non-emergency guess; no answer keeps the guess, never
        below high (unsure of an emergency is not low)."""
        if stopped:
            category = "billing" if verdict.category == "billing" else "emergency"
            return replace(verdict, category=category, priority="critical", ask_impact=False)
        if stopped is False:
            category = verdict.runner_up if verdict.category == "emergency" else verdict.category
            priority = (verdict.fallback_priority if category != verdict.category
                        else verdict.priority)
            return replace(verdict, category=category, priority=priority, ask_impact=False)
        return replace(verdict, priority=at_least(verdict.priority, "high"), ask_impact=False)


def without(excluded: frozenset[str], ranked: list[str]) -> list[str]:
    """The ranking without the excluded categories, unless that leaves no problem category
    or emergency to fall back to (a list that reserves them all is the desk's to fix)."""
    kept = [category for category in ranked if category not in excluded]
    needed = ("emergency", *impact.PROBLEMS)
    return kept if all(category in kept for category in needed) else ranked


SHARED_NORM = 0.7   # mean of the statements' unit vectors: e5 0.91, USE 0.43


def shared_direction(vectors: numpy.ndarray) -> numpy.ndarray:
    """The direction every sentence shares when it dominates (e5's cosines all sit near 0.8,
    which a small regression cannot tell apart), estimated on the impact statements; empty
    (vectors used as they are) for an encoder whose sentences spread out (USE)."""
    mean = vectors.mean(axis=0) if vectors.shape[0] else numpy.zeros(0, numpy.float32)
    return mean if float(numpy.linalg.norm(mean)) >= SHARED_NORM else numpy.zeros(
        0, numpy.float32)


def emergency_label(category: str) -> str:
    return "emergency" if category == "emergency" else "other"


def config_examples(config: AtiendeConfig, learned: Sequence[Example] = ()) -> list[Example]:
    settings = config.triage
    examples: list[Example] = []
    for name, described in settings.described().items():
        examples += [Example(text, name, "") for text in described.description.values()]
        examples += [Example(e.text, name, e.priority or "") for e in described.examples]
    if settings.examples_file:
        examples += read_examples(config.resolve_path(settings.examples_file))
    elif settings.shipped_examples:
        examples += read_examples(SHIPPED_EXAMPLES)
    return examples + list(learned)


def read_examples(path: Path) -> list[Example]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return [Example(r["text"], r["category"], r.get("priority") or "") for r in rows]


at_least = impact.at_least   # the desk's import


_LOCK = threading.Lock()


def load_encoder_with_cache(path: Path | None) -> CachedEncoder | None:
    with _LOCK:
        return cached_encoder(path)
