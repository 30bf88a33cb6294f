"""The lexical signal: which articles explain the words of a message (stems, typos, IDF)."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from kb.gc_pause import gc_paused
from kb.loader import Article
from kb.normalize import split_sentences, stem_words, tokenize
from kb.spelling import SpellIndex
from kb.stopwords import is_function_word

FIELD_WEIGHTS = {"title": 0.7, "questions": 0.7, "tags": 0.6, "body": 0.3}
UNKNOWN_WEIGHT = 0.6
MIN_STEM = 4
FOCUS = 2.0
_LANG_SUFFIX = re.compile(r"-(es|en)$")


@dataclass(frozen=True)
class LexicalIndex:
    """Immutable search structures over one loaded knowledge base."""

    articles: tuple[Article, ...]
    topics: tuple[str, ...]
    postings: dict[str, tuple[tuple[int, float], ...]]
    idf: dict[str, float]
    unknown_idf: float
    spelling: SpellIndex
    by_topic_lang: dict[tuple[str, str], int]  # (topic, lang) → article number
    words_by_lang: dict[str, frozenset[str]]   # lang → the content words its articles use


def topic_of(article: Article) -> str:
    """Translations share a topic: ids that differ only in a trailing -es/-en."""
    return _LANG_SUFFIX.sub("", article.id)


def content_words(text: str) -> list[str]:
    """Normalised words of `text` that are not grammar words or fillers."""
    return [t for t in tokenize(text) if is_content_word(t)]


@lru_cache(maxsize=1 << 16)
def is_content_word(token: str) -> bool:
    return not is_function_word(token) and (len(token) > 1 or token.isdigit())


def stems(words: list[str], lang: str) -> list[str]:
    """Snowball stems, except that a stem under 4 letters keeps the word (mesa is not mes)."""
    return [
        stem if len(stem) >= MIN_STEM else _singular(word)
        for word, stem in zip(words, stem_words(words, lang), strict=True)
    ]


def _singular(word: str) -> str:
    return word[:-1] if len(word) > MIN_STEM and word.endswith("s") else word


class StemMemo:
    """Stems of words already seen while building one index: a KB repeats its vocabulary."""

    def __init__(self) -> None:
        self.known: dict[tuple[str, str], str] = {}

    def stems(self, words: list[str], lang: str) -> list[str]:
        known = self.known
        new = [w for w in words if (lang, w) not in known]
        if new:
            new = list(dict.fromkeys(new))
            known.update(((lang, w), s) for w, s in zip(new, stems(new, lang), strict=True))
        return [known[(lang, w)] for w in words]


def _article_terms(article: Article,
                   memo: StemMemo) -> tuple[dict[str, float], list[str]]:
    """Each stem of the article with its strongest field weight, and its surface words."""
    fields = {
        "title": article.title,
        "questions": " ".join(article.questions),
        "tags": " ".join(article.tags),
        "body": article.body,
    }
    miss: dict[str, float] = {}
    surface: list[str] = []
    for field, text in fields.items():
        words = list(dict.fromkeys(content_words(text)))   # a body repeats its words
        surface += words
        keep = 1.0 - FIELD_WEIGHTS[field]
        for term in set(memo.stems(words, article.lang)):
            miss[term] = miss.get(term, 1.0) * keep
    return {term: 1.0 - m for term, m in miss.items()}, surface



def build_lexical(articles: Sequence[Article]) -> LexicalIndex:
    """Build the word index once per knowledge-base load."""
    with gc_paused():
        return _build_index(articles)


def _build_index(articles: Sequence[Article]) -> LexicalIndex:
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    vocabulary: set[str] = set()
    by_lang: dict[str, set[str]] = defaultdict(set)
    memo = StemMemo()
    for number, article in enumerate(articles):
        strength, surface = _article_terms(article, memo)
        vocabulary.update(surface)
        by_lang[article.lang].update(surface)
        for stem, weight in strength.items():
            postings[stem].append((number, weight))
    n = len(articles)
    idf = {stem: _idf(n, len(p)) for stem, p in postings.items()}
    return LexicalIndex(
        articles=tuple(articles),
        topics=tuple(topic_of(a) for a in articles),
        by_topic_lang={(topic_of(a), a.lang): n for n, a in enumerate(articles)},
        postings={stem: tuple(p) for stem, p in postings.items()},
        idf=idf,
        unknown_idf=_idf(n, 0),
        spelling=SpellIndex.build(vocabulary),
        words_by_lang={lang: frozenset(words) for lang, words in by_lang.items()},
    )


def _idf(n: int, df: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _query_terms(index: LexicalIndex, text: str) -> list[tuple[frozenset[str], float]]:
    """Each content word of the message as (alternative stems, weight)."""
    terms = []
    focus = _focus_words(text)
    for word in dict.fromkeys(content_words(text)):
        alts = _alternatives(index, word)
        known = [index.idf[a] for a in alts if a in index.idf]
        weight = max(known) if known else index.unknown_idf * UNKNOWN_WEIGHT
        terms.append((alts, weight * (FOCUS if word in focus else 1.0)))
    return terms


def _focus_words(text: str) -> set[str]:
    """Content words of the questions in a message that also has other sentences.

    In an email or long chat the question sentences, and the sentence that leads into each
    one ("...just sends a link. How does that work?"), say what is asked; the rest is context.
    """
    sentences = split_sentences(text)
    asked = [i for i, sentence in enumerate(sentences) if "?" in sentence]
    if not asked or len(asked) == len(sentences):
        return set()
    chosen = {j for i in asked for j in (i - 1, i) if j >= 0}
    return {word for j in chosen for word in content_words(sentences[j])}


def _alternatives(index: LexicalIndex, word: str) -> frozenset[str]:
    found = {stems([word], lang)[0] for lang in ("es", "en")}
    if any(s in index.idf for s in found):
        return frozenset(found)
    for fixed in index.spelling.corrections(word):
        found.update(stems([fixed], lang)[0] for lang in ("es", "en"))
    return frozenset(found)


def _article_scores(index: LexicalIndex,
                    terms: list[tuple[frozenset[str], float]]) -> dict[int, float]:
    """Share of the message's weight that each article explains, in 0..1."""
    total = sum(weight for _, weight in terms)
    if not total:
        return {}
    scores: dict[int, float] = defaultdict(float)
    for alternatives, weight in terms:
        best: dict[int, float] = {}
        for stem in alternatives:
            for number, strength in index.postings.get(stem, ()):
                best[number] = max(best.get(number, 0.0), strength)
        for number, strength in best.items():
            scores[number] += weight * strength / total
    return {number: min(score, 1.0) for number, score in scores.items()}


def lexical_scores(index: LexicalIndex, texts: Sequence[str]) -> dict[int, float]:
    """Per article number, the best share of any of `texts` that it explains."""
    best: dict[int, float] = {}
    for text in texts:
        for number, score in _article_scores(index, _query_terms(index, text)).items():
            best[number] = max(best.get(number, 0.0), score)
    return best
