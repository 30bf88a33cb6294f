"""Match a customer message to a knowledge-base article, or abstain when unsure."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from kb.gc_pause import gc_paused
from kb.language import detect_language
from kb.loader import Article
from kb.normalize import split_sentences, stem_words, strip_quoted, tokenize
from kb.spelling import SpellIndex
from kb.stopwords import is_function_word

FIELD_WEIGHTS = {"title": 0.7, "questions": 0.7, "tags": 0.6, "body": 0.3}
UNKNOWN_WEIGHT = 0.6
ANSWER_AT = 0.30
MARGIN = 0.12
AMBIGUOUS_AT = ANSWER_AT
MAX_CANDIDATES = 5
MIN_STEM = 4
FOCUS = 2.0
SIGN_OFF_WORDS = 3
SIGNATURE_WORDS = 6
# A question fits in far less; reading at most this much bounds the time per message.
MAX_MATCH_CHARS = 5000
_LANG_SUFFIX = re.compile(r"-(es|en)$")


@dataclass(frozen=True)
class Candidate:
    """An article the message may be about, with its score in 0..1."""

    article_id: str
    title: str
    score: float


@dataclass(frozen=True)
class Match:
    """The matcher's decision for one message."""

    answered: bool
    article_id: str | None
    score: float
    lang: str
    candidates: tuple[Candidate, ...]
    ambiguous: bool


@dataclass(frozen=True)
class KbIndex:
    """Immutable search structures over one loaded knowledge base."""

    articles: tuple[Article, ...]
    topics: tuple[str, ...]
    postings: dict[str, tuple[tuple[int, float], ...]]
    idf: dict[str, float]
    unknown_idf: float
    spelling: SpellIndex
    by_topic_lang: dict[tuple[str, str], int]  # (topic, lang) → article number


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
        new = [w for w in dict.fromkeys(words) if (lang, w) not in self.known]
        if new:
            self.known.update(((lang, w), s) for w, s in zip(new, stems(new, lang), strict=True))
        return [self.known[(lang, w)] for w in words]


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
        words = content_words(text)
        surface += words
        for term in set(memo.stems(words, article.lang)):
            miss[term] = miss.get(term, 1.0) * (1.0 - FIELD_WEIGHTS[field])
    return {term: 1.0 - m for term, m in miss.items()}, surface



def build_index(articles: Sequence[Article]) -> KbIndex:
    """Build the search index once per knowledge-base load."""
    with gc_paused():
        return _build_index(articles)


def _build_index(articles: Sequence[Article]) -> KbIndex:
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    vocabulary: set[str] = set()
    memo = StemMemo()
    for number, article in enumerate(articles):
        strength, surface = _article_terms(article, memo)
        vocabulary.update(surface)
        for stem, weight in strength.items():
            postings[stem].append((number, weight))
    n = len(articles)
    idf = {stem: _idf(n, len(p)) for stem, p in postings.items()}
    return KbIndex(
        articles=tuple(articles),
        topics=tuple(topic_of(a) for a in articles),
        by_topic_lang={(topic_of(a), a.lang): n for n, a in enumerate(articles)},
        postings={stem: tuple(p) for stem, p in postings.items()},
        idf=idf,
        unknown_idf=_idf(n, 0),
        spelling=SpellIndex.build(vocabulary),
    )


def _idf(n: int, df: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _query_terms(index: KbIndex, text: str) -> list[tuple[frozenset[str], float]]:
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


def _alternatives(index: KbIndex, word: str) -> frozenset[str]:
    found = {stems([word], lang)[0] for lang in ("es", "en")}
    if any(s in index.idf for s in found):
        return frozenset(found)
    for fixed in index.spelling.corrections(word):
        found.update(stems([fixed], lang)[0] for lang in ("es", "en"))
    return frozenset(found)


def _article_scores(index: KbIndex, terms: list[tuple[frozenset[str], float]]) -> dict[int, float]:
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


def _ranked_topics(index: KbIndex, scores: dict[int, float], lang: str) -> list[tuple[int, float]]:
    """(article number, topic score) best first, one per topic, in `lang` when it exists."""
    by_topic: dict[str, list[int]] = defaultdict(list)
    for number in scores:
        by_topic[index.topics[number]].append(number)
    ranked = []
    for topic, numbers in by_topic.items():
        top = max(scores[n] for n in numbers)
        translation = index.by_topic_lang.get((topic, lang))
        pick = translation if translation is not None else max(numbers, key=lambda n: scores[n])
        ranked.append((pick, top))
    ranked.sort(key=lambda item: -item[1])
    return ranked


def drop_signature(text: str) -> str:
    """Cut a sign-off line ("Gracias,", "Best regards,") and the short lines after it.

    Only after a body with at least one long line: a chat message split over short lines
    ("como hago / para / cambiar la clave") keeps every line.
    """
    lines = text.splitlines()
    short = [_is_short(line) for line in lines]
    body_seen = False
    for number, line in enumerate(lines):
        if body_seen and _is_sign_off(line) and all(short[number:]):
            return "\n".join(lines[:number])
        body_seen = body_seen or not short[number]
    return text


def _is_sign_off(line: str) -> bool:
    """A short line made only of fillers and grammar words, not a question."""
    words = tokenize(line)
    return 0 < len(words) <= SIGN_OFF_WORDS and "?" not in line and all(
        is_function_word(word) for word in words)


def _is_short(line: str) -> bool:
    return len(tokenize(line)) <= SIGNATURE_WORDS and "?" not in line


def best_match(index: KbIndex, text: str, lang: str | None = None) -> Match:
    """Decide whether to answer `text` from the KB, and with which article.

    Only the first MAX_MATCH_CHARS characters are read: the cost per message is bounded.
    """
    message = drop_signature(strip_quoted(text[:MAX_MATCH_CHARS]))
    lang = lang or detect_language(message)
    scores = _article_scores(index, _query_terms(index, message))
    ranked = _ranked_topics(index, scores, lang)[:MAX_CANDIDATES]
    candidates = tuple(
        Candidate(index.articles[n].id, index.articles[n].title, round(s, 4)) for n, s in ranked
    )
    return _decide(candidates, lang)


def _decide(candidates: tuple[Candidate, ...], lang: str) -> Match:
    if not candidates:
        return Match(False, None, 0.0, lang, (), False)
    best = candidates[0].score
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    answered = best >= ANSWER_AT and best - runner_up >= MARGIN
    close = [c for c in candidates[:3] if c.score >= AMBIGUOUS_AT and best - c.score < MARGIN]
    ambiguous = not answered and len(close) >= 2
    article_id = candidates[0].article_id if answered else None
    return Match(answered, article_id, best, lang, candidates, ambiguous)
