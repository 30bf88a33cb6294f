"""Detect whether a customer message is Spanish or English; grammar words decide Spanglish."""

from __future__ import annotations

import threading

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
    5-gram models of the default mode, for one language fewer right in about 150 short,
    unclear messages (kb-eval dev 136/138 against 138/138; test, triage sets alike).
    Grammar words decide most messages before lingua is asked (see DECISIVE_WORDS)."""
    with _LOCK:
        if not _DETECTOR:
            _DETECTOR.append(LanguageDetectorBuilder.from_languages(
                Language.SPANISH, Language.ENGLISH).with_low_accuracy_mode()
                .with_preloaded_language_models().build())
    return _DETECTOR[0]


def warm_up() -> None:
    """Load lingua's models now (a server's start), not at the first unclear message."""
    _detector()


def function_word_balance(tokens: list[str]) -> int:
    """Spanish-only grammar words minus English-only grammar words among `tokens`."""
    return sum(t in _ES_ONLY for t in tokens) - sum(t in _EN_ONLY for t in tokens)


def _lingua_balance(text: str) -> float:
    """lingua's Spanish confidence minus its English confidence, in -1..1."""
    values = {v.language: v.value for v in _detector().compute_language_confidence_values(text)}
    return values.get(Language.SPANISH, 0.0) - values.get(Language.ENGLISH, 0.0)


def detect_language(text: str, default: str = "es") -> str:
    """"es" or "en" for `text`; grammar words outvote lingua; unclear text gives `default`."""
    return language_verdict(text) or default


def language_verdict(text: str) -> str | None:
    """"es" or "en" for `text`, None when it is unclear (the caller's default applies)."""
    text = text[:MAX_CHARS]
    tokens = tokenize(text)
    if not any(len(t) > 1 for t in tokens):
        return None
    balance: float = function_word_balance(tokens)
    if abs(balance) < DECISIVE_WORDS:   # lingua (-1..1) could still change the verdict
        balance += _lingua_balance(text)
    if abs(balance) < MIN_MARGIN:
        return None
    return "es" if balance > 0 else "en"
