"""Detect whether a customer message is Spanish or English; grammar words decide Spanglish."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from kb.normalize import tokenize
from kb.stopwords import EN_FUNCTION, ES_FUNCTION

_ES_ONLY = ES_FUNCTION - EN_FUNCTION
_EN_ONLY = EN_FUNCTION - ES_FUNCTION
_LOCK = threading.Lock()
_DETECTOR: list[LanguageDetector] = []
MIN_MARGIN = 0.25
# With this many more grammar words of one language, lingua's -1..1 cannot change the
# verdict (the balance stays >= 1 > MIN_MARGIN), so it is not asked: it is the slow part.
DECISIVE_WORDS = 2
MAX_CHARS = 2000  # the start of a huge message tells its language; lingua's cost grows with it


def _detector() -> LanguageDetector:
    """The lingua detector, restricted to Spanish and English, built once on first use with
    its models loaded (lazily, the first unclear message paid for them).

    Low-accuracy mode: trigram models only, 8.5 MB resident against 66 MB for the 1- to
    5-gram models of the default mode. It reads single keywords poorly, so grammar words and
    then the KB's own words (KbWords) speak first: kb-eval dev 137/138 right (138 with the
    default mode), test 208/208 (207), the triage sets 240/240 alike."""
    with _LOCK:
        if not _DETECTOR:
            _DETECTOR.append(LanguageDetectorBuilder.from_languages(
                Language.SPANISH, Language.ENGLISH).with_low_accuracy_mode()
                .with_preloaded_language_models().build())
    return _DETECTOR[0]


def warm_up() -> None:
    """Load lingua's models now (a server's start), not at the first unclear message."""
    _detector()


@dataclass(frozen=True)
class KbWords:
    """The words a knowledge base writes in one of its languages only (titles, questions and
    answers, less grammar words, numbers and words under 3 letters): where a message has no
    grammar word ("printer", "cancelar plan"), the desk's own vocabulary tells its language
    before lingua is asked (short texts are where lingua is least sure)."""

    es: frozenset[str] = frozenset()
    en: frozenset[str] = frozenset()

    @classmethod
    def from_words(cls, by_lang: Mapping[str, Iterable[str]]) -> KbWords:
        """From each language's normalised words (the lexical index collects them)."""
        grammar = ES_FUNCTION | EN_FUNCTION
        es, en = ({t for t in by_lang.get(lang, ()) if len(t) > 2 and not t.isdigit()}
                  for lang in ("es", "en"))
        return cls(frozenset(es - en - grammar), frozenset(en - es - grammar))

    def balance(self, tokens: Sequence[str]) -> int:
        """Spanish-only minus English-only KB words among `tokens`."""
        return sum(t in self.es for t in tokens) - sum(t in self.en for t in tokens)


def function_word_balance(tokens: list[str]) -> int:
    """Spanish-only grammar words minus English-only grammar words among `tokens`."""
    return sum(t in _ES_ONLY for t in tokens) - sum(t in _EN_ONLY for t in tokens)


def _lingua_balance(text: str) -> float:
    """lingua's Spanish confidence minus its English confidence, in -1..1."""
    values = {v.language: v.value for v in _detector().compute_language_confidence_values(text)}
    return values.get(Language.SPANISH, 0.0) - values.get(Language.ENGLISH, 0.0)


def detect_language(text: str, default: str = "es", words: KbWords | None = None) -> str:
    """"es" or "en" for `text`; grammar words outvote lingua; unclear text gives `default`."""
    return language_verdict(text, words) or default


def language_verdict(text: str, words: KbWords | None = None) -> str | None:
    """"es" or "en" for `text`, None when it is unclear (the caller's default applies).
    Grammar words decide; without any, the KB's own words of one language (`words`); then
    lingua."""
    text = text[:MAX_CHARS]
    tokens = tokenize(text)
    if not any(len(t) > 1 for t in tokens):
        return None
    balance: float = function_word_balance(tokens)
    if balance == 0 and words is not None and (own := words.balance(tokens)) != 0:
        return "es" if own > 0 else "en"
    if abs(balance) < DECISIVE_WORDS:   # lingua (-1..1) could still change the verdict
        balance += _lingua_balance(text)
    if abs(balance) < MIN_MARGIN:
        return None
    return "es" if balance > 0 else "en"
