"""Text normalisation for matching: case, accents, emojis, quoted email, tokens and stems."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import Stemmer

_STEMMER_NAMES = {"es": "spanish", "en": "english"}
_QUOTE_HEADER = re.compile(
    r"^\s*(on\b.*\bwrote:?|el\b.*\bescribi[oó]:?|-+\s*original message\s*-+|"
    r"-+\s*mensaje original\s*-+|(from|de):\s.*)\s*$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^\s*--\s*$")
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_NOT_WORD = re.compile(r"[\W_]+")


def normalize_text(text: str) -> str:
    """Lowercase, strip accents, drop emojis and punctuation, collapse whitespace.

    A message's turn asks this of the same text several times (language, intent, the
    acknowledgement and problem-report checks, the category words): a text of chat length is
    normalised once and remembered (the CACHED most recent, CACHED_CHARS at most each)."""
    if len(text) > CACHED_CHARS:
        return _normalize(text)
    return _normalize_remembered(text)


def _normalize(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join(_NOT_WORD.sub(" ", _MARKS.sub("", decomposed)).split())


CACHED, CACHED_CHARS = 4096, 2000   # at most some 8 million characters remembered
_normalize_remembered = lru_cache(maxsize=CACHED)(_normalize)


def tokenize(text: str) -> list[str]:
    """The normalised words of `text`, in order."""
    return normalize_text(text).split()


def strip_quoted(text: str) -> str:
    """Keep only the new text of an email or chat message: no quoted thread, no signature."""
    kept: list[str] = []
    for line in text.splitlines():
        if _QUOTE_HEADER.match(line) or _SIGNATURE.match(line):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return "\n".join(kept).strip() or text


def split_sentences(text: str) -> list[str]:
    """Split a message into sentences and lines (questions keep their '?')."""
    parts = re.split(r"(?<=[.!?¿¡])\s+|\n+", text)
    return [p.strip() for p in parts if p and p.strip()]


_local = threading.local()


def _stemmer(lang: str) -> Stemmer.Stemmer:
    """One stemmer per thread and language: PyStemmer objects are not thread-safe."""
    stemmers = _local.__dict__.setdefault("stemmers", {})
    if lang not in stemmers:
        stemmers[lang] = Stemmer.Stemmer(_STEMMER_NAMES[lang])
    return stemmers[lang]


def stem_words(words: list[str], lang: str) -> list[str]:
    """Snowball stems of already-normalised `words` in language `lang` ("es" or "en")."""
    return _stemmer(lang).stemWords(words)
