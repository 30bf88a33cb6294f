"""Match a customer message to a knowledge-base article by words and meaning, or abstain."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy

from kb.abstention import ANSWER_PROBABILITY, AbstentionModel, model_for
from kb.language import KbWords, detect_language
from kb.lexical import LexicalIndex, build_lexical, lexical_scores, topic_of
from kb.loader import Article
from kb.sentences import Message, content_count, drop_signature, split_message
from kb.vectors import ArticleVectors

__all__ = ["Candidate", "KbIndex", "Match", "best_match", "build_index", "drop_signature"]

MAX_CANDIDATES = 5
NEAR_TIE = 0.1   # the runner-up scores over 90 % of the best


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
    # the abstention model's P(the best candidate is right), less its bootstrap spread
    confidence: float = 0.0
    signals: dict[str, float] = field(default_factory=dict)

    @property
    def choices(self) -> tuple[Candidate, ...]:
        """When ambiguous, the candidates in a near tie with the best: what to offer."""
        if not self.ambiguous:
            return ()
        best = self.candidates[0].score
        return tuple(c for c in self.candidates if best - c.score < NEAR_TIE * best)


@dataclass(frozen=True)
class KbIndex:
    """Both signals' structures over one loaded knowledge base."""

    lexical: LexicalIndex
    meaning: ArticleVectors | None
    topic_of_article: numpy.ndarray              # article number → topic number
    members: tuple[tuple[int, ...], ...]         # topic number → its article numbers
    words: KbWords                               # words written in one language only

    @property
    def articles(self) -> tuple[Article, ...]:
        return self.lexical.articles


def build_index(articles: Sequence[Article], meaning: ArticleVectors | None = None) -> KbIndex:
    """The index for one knowledge-base load; `meaning` is None on the lexical-only path."""
    topics = list(dict.fromkeys(topic_of(a) for a in articles))
    number = {topic: n for n, topic in enumerate(topics)}
    owner = numpy.array([number[topic_of(a)] for a in articles], dtype=numpy.int64)
    members = tuple(tuple(numpy.flatnonzero(owner == t).tolist()) for t in range(len(topics)))
    lexical = build_lexical(articles)
    return KbIndex(lexical, meaning, owner, members, KbWords.from_words(lexical.words_by_lang))


def _by_topic(index: KbIndex, per_article: numpy.ndarray) -> numpy.ndarray:
    best = numpy.zeros(len(index.members), dtype=numpy.float64)
    numpy.maximum.at(best, index.topic_of_article, per_article)
    return best


def _top_two(values: numpy.ndarray) -> tuple[int, float, float]:
    """(best position, best value, best minus runner-up)."""
    if len(values) == 0:
        return -1, 0.0, 0.0
    order = numpy.argsort(-values, kind="stable")[:2]
    runner_up = float(values[order[1]]) if len(order) > 1 else 0.0
    return int(order[0]), float(values[order[0]]), float(values[order[0]]) - runner_up


def _article_signals(index: KbIndex, message: Message) -> tuple[numpy.ndarray, ...]:
    """(lexical, meaning or None, combined) scores per article.

    Words are weighed over the whole asked text (question sentences count double there), so
    a context sentence cannot win alone; meaning is read from the one text (the whole, the
    asked part or a sentence) that singles out a topic most clearly, see `_decisive`.
    """
    lexical = numpy.zeros(len(index.articles))
    for number, score in lexical_scores(index.lexical, [message.focus]).items():
        lexical[number] = score
    if index.meaning is None:
        return lexical, None, lexical
    rows = index.meaning.rows(message.texts).astype(numpy.float64)
    relative = index.meaning.encoder.relative
    meaning = _decisive(index, _relative(rows) if relative else numpy.clip(rows, 0.0, 1.0))
    return lexical, meaning, (lexical + meaning) / 2


def _relative(rows: numpy.ndarray) -> numpy.ndarray:
    """Each text's cosines above its typical one (the median over the articles), on 0..1:
    encoders differ in how close unrelated texts sit (USE near 0.1, e5 near 0.8)."""
    if not rows.size:
        return rows
    typical = numpy.median(rows, axis=1, keepdims=True)
    return numpy.clip((rows - typical) / numpy.maximum(1.0 - typical, 1e-6), 0.0, 1.0)


def _decisive(index: KbIndex, rows: numpy.ndarray) -> numpy.ndarray:
    """The row of the text whose best topic stands out most from the other topics (in standard
    deviations). A generic sentence ("Is there a better way in Tiendita?", "¿Cómo se
    configura?") is fairly close to many articles and stands out from none, while the sentence
    that names the need does; taking the plain maximum let generic sentences win."""
    if not rows.size:   # nothing to read (an empty text) or no article
        return numpy.zeros(len(index.articles))
    if len(rows) == 1:
        return rows[0]
    peaks = [_peak(_by_topic(index, row)) for row in rows]
    return rows[int(numpy.argmax(peaks))]


def _peak(topic_scores: numpy.ndarray) -> float:
    spread = float(topic_scores.std())
    return (float(topic_scores.max()) - float(topic_scores.mean())) / spread if spread else 0.0


def _signals(index: KbIndex, lexical: numpy.ndarray, meaning: numpy.ndarray | None,
             combined: numpy.ndarray) -> dict[str, float]:
    """The abstention model's inputs: tops, margins and whether the two signals agree."""
    lex_top, lex, lex_margin = _top_two(_by_topic(index, lexical))
    _, both, both_margin = _top_two(_by_topic(index, combined))
    found = {"lexical": lex, "lexical_margin": lex_margin, "lexical_gap": _gap(lex, lex_margin),
             "combined": both, "combined_margin": both_margin,
             "combined_gap": _gap(both, both_margin)}
    if meaning is not None:
        sem_top, sem, sem_margin = _top_two(_by_topic(index, meaning))
        found |= {"meaning": sem, "meaning_margin": sem_margin,
                  "meaning_gap": _gap(sem, sem_margin), "agree": float(sem_top == lex_top)}
    return found


def _gap(top: float, margin: float) -> float:
    """How much of the best score the runner-up lacks: 0 for a tie, 1 when alone."""
    return margin / top if top > 0 else 0.0


def _pick(index: KbIndex, topic: int, combined: numpy.ndarray, lang: str) -> int:
    """The topic's article in `lang` when it exists, else its best-scoring article."""
    numbers = index.members[topic]
    in_lang = [n for n in numbers if index.articles[n].lang == lang]
    return in_lang[0] if in_lang else max(numbers, key=lambda n: combined[n])


def _candidates(index: KbIndex, combined: numpy.ndarray, lang: str) -> tuple[Candidate, ...]:
    topic_scores = _by_topic(index, combined)
    ranked = numpy.argsort(-topic_scores, kind="stable")[:MAX_CANDIDATES]
    chosen = [(_pick(index, int(t), combined, lang), float(topic_scores[t]))
              for t in ranked if topic_scores[t] > 0]
    return tuple(Candidate(index.articles[n].id, index.articles[n].title, round(score, 4))
                 for n, score in chosen)


def _decide(model: AbstentionModel, signals: dict[str, float],
            count: int) -> tuple[bool, bool, float]:
    """(answer?, offer choices?, confidence). Answering reads the cautious probability (less
    the bootstrap models' spread); offering choices, where the customer picks, the plain one."""
    tie = signals["combined_gap"] < NEAR_TIE and bool(signals.get("agree", 1.0))
    confidence = model.cautious(signals)
    answered = confidence >= ANSWER_PROBABILITY and not tie
    # it would answer, but which one?
    ambiguous = tie and count >= 2 and model.probability(signals) >= ANSWER_PROBABILITY
    if tie:   # two topics fit about equally: at best a coin toss
        confidence = min(confidence, 0.5)
    return answered, ambiguous, confidence


def best_match(index: KbIndex, text: str, lang: str | None = None) -> Match:
    """Decide whether to answer `text` from the KB, and with which article."""
    message = split_message(text)
    lang = lang or detect_language(message.text, words=index.words)
    lexical, meaning, combined = _article_signals(index, message)
    candidates = _candidates(index, combined, lang)
    if not candidates:
        return Match(False, None, 0.0, lang, (), False)
    signals = _signals(index, lexical, meaning, combined)
    signals["length"] = math.log1p(content_count(message.focus))
    encoder = index.meaning.encoder.name if index.meaning is not None else None
    answered, ambiguous, confidence = _decide(model_for(encoder), signals, len(candidates))
    article_id = candidates[0].article_id if answered else None
    return Match(answered, article_id, candidates[0].score, lang, candidates, ambiguous,
                 round(confidence, 4), signals)
