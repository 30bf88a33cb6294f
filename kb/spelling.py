"""Typo correction against the knowledge base's own vocabulary (symmetric deletes + OSA)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import OSA

MIN_LENGTH = 4
# No Spanish or English word is longer: a longer token resembles none, and its deletions
# (one string per letter, each nearly as long as the token) would cost length² memory.
MAX_LENGTH = 30


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@dataclass(frozen=True)
class SpellIndex:
    """Known words, and for each one-letter deletion the known words that produce it."""

    words: frozenset[str]
    by_delete: dict[str, set[str]]  # read only once built

    @classmethod
    def build(cls, vocabulary: Iterable[str]) -> SpellIndex:
        words = frozenset(w for w in vocabulary if len(w) >= MIN_LENGTH and w.isalpha())
        by_delete: dict[str, set[str]] = defaultdict(set)
        for word in words:
            by_delete[word].add(word)
            for variant in _deletes(word):
                by_delete[variant].add(word)
        return cls(words, dict(by_delete))

    def corrections(self, word: str) -> list[str]:
        """Known words one edit (insert, delete, substitute, swap) away from `word`."""
        if not MIN_LENGTH <= len(word) <= MAX_LENGTH or word in self.words or not word.isalpha():
            return []
        found: set[str] = set()
        for key in _deletes(word) | {word}:
            found.update(self.by_delete.get(key, ()))
        return sorted(w for w in found if OSA.distance(word, w) <= 1)
