"""Group unanswered customer questions by meaning: the articles the team should write next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy

from kb.encoder import Encoder
from kb.normalize import normalize_text

MAX_QUESTIONS = 5000  # the most recent ones are grouped; the cost stays bounded
SAMPLES = 3


@dataclass(frozen=True)
class Gap:
    """One group of questions that asked the same thing and ended in tickets."""

    size: int
    lang: str
    samples: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"size": self.size, "lang": self.lang, "samples": list(self.samples)}


def _assign(vectors: numpy.ndarray, same_topic: float) -> list[list[int]]:
    """Each question joins the group whose centroid is closest, when within `same_topic` (the
    encoder's cosine for two wordings of one question), or
    starts a new group (one pass, in the given order)."""
    groups: list[list[int]] = []
    sums = numpy.zeros_like(vectors)
    centroids = numpy.zeros_like(vectors)
    for row, vector in enumerate(vectors):
        near = centroids[: len(groups)] @ vector
        best = int(near.argmax()) if len(groups) else -1
        if best < 0 or near[best] < same_topic:
            best = len(groups)
            groups.append([])
        groups[best].append(row)
        sums[best] += vector
        centroids[best] = sums[best] / max(float(numpy.linalg.norm(sums[best])), 1e-12)
    return groups


def _by_wording(questions: Sequence[str]) -> list[list[int]]:
    """Without an encoder: questions with the same normalised words form a group."""
    found: dict[str, list[int]] = {}
    for row, question in enumerate(questions):
        found.setdefault(normalize_text(question), []).append(row)
    return list(found.values())


def find_gaps(questions: Sequence[tuple[str, str]], encoder: Encoder | None,
              limit: int = 10) -> list[Gap]:
    """(question, lang) pairs grouped by meaning, biggest groups first, with sample wordings."""
    questions = [(q.strip(), lang) for q, lang in questions[-MAX_QUESTIONS:] if q.strip()]
    texts = [q for q, _ in questions]
    groups = (_assign(encoder.encode(texts), encoder.same_topic) if encoder and texts
              else _by_wording(texts))
    groups.sort(key=lambda rows: (-len(rows), rows[0]))
    return [_gap(questions, rows) for rows in groups[:limit]]


def _gap(questions: Sequence[tuple[str, str]], rows: list[int]) -> Gap:
    langs = [questions[r][1] for r in rows]
    distinct = list(dict.fromkeys(questions[r][0] for r in rows))
    return Gap(len(rows), max(set(langs), key=langs.count), tuple(distinct[:SAMPLES]))
