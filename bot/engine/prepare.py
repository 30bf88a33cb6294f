"""A routing batch's CPU work, done before its write transaction (never while holding the
writer): the same rule functions the turn calls, computed ahead into a cache the turn reads.

Nothing here decides anything: a turn asks `Prepared` for a language verdict, an intent or a
KB match, and what was not computed ahead (or was asked with other inputs, e.g. the sender's
language was not the one guessed) is computed then, by the same function. One source of truth
per rule.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from bot.engine.intents import Intent, read_intent
from bot.engine.triage import triager_for
from bot.store.models import Message
from kb.language import KbWords, language_verdict
from kb.matcher import KbIndex, Match, best_match
from kb.normalize import normalize_text
from kb.sentences import split_message

if TYPE_CHECKING:
    from bot.config.root import AtiendeConfig
    from bot.engine.triage.classify import Triager, Verdict

SHORT_MESSAGE_WORDS = 3
# Intents the bot answers itself: the KB is not asked for them (nor computed ahead).
OWN_INTENTS = frozenset({"greeting", "thanks", "status", "escalate", "human"})
VERDICT_MEMO_SIZE = 4096   # texts whose triage verdict is kept, per fitted Triager
TURN_INPUTS = (select(Message.text, Message.language_hint)
               .where(Message.id.in_(bindparam("message_ids", expanding=True))))


@dataclass(frozen=True)
class TurnInput:
    """What a turn decides from, known when the message was stored."""

    text: str
    hint: str | None = None


@dataclass
class Prepared:
    """Memoised rule functions for one routing batch."""

    verdicts: dict[str, str | None] = field(default_factory=dict)
    intents: dict[str, Intent] = field(default_factory=dict)
    matches: dict[tuple[str, str], Match] = field(default_factory=dict)
    triager: Triager | None = None   # the batch's (approved examples change only by an agent)
    triaged: dict[str, Verdict] = field(default_factory=dict)
    words: KbWords | None = None   # the KB's words of one language (KbIndex.words)

    def verdict(self, text: str) -> str | None:
        if text not in self.verdicts:
            self.verdicts[text] = language_verdict(text, self.words)
        return self.verdicts[text]

    def intent(self, text: str) -> Intent:
        if text not in self.intents:
            self.intents[text] = read_intent(text)
        return self.intents[text]

    def classify(self, session: Session, config: AtiendeConfig, text: str,
                 excluded: frozenset[str] = frozenset()) -> Verdict:
        """Triage's verdict on `text`. The Triager is looked up once per batch, without
        flushing the turns' pending changes (the examples it learns from are not among them).
        With `excluded` categories (rare: after a VIP-only decline) nothing is remembered."""
        if self.triager is None:
            with session.no_autoflush:
                self.triager = triager_for(session, config)
        if excluded:
            return self.triager.classify(text, excluded)
        if text not in self.triaged:
            self.triaged[text] = triage(self.triager, text)
        return self.triaged[text]

    def match(self, index: KbIndex, text: str, lang: str) -> Match:
        key = (text, lang)
        if key not in self.matches:
            self.matches[key] = best_match(index, text, lang)
        return self.matches[key]


def choose_language(prepared: Prepared, text: str, hint: str | None, known: str | None,
                    default: str) -> str:
    """Detect per message; short replies ("sí", "2") keep the language we already know;
    unclear text keeps it too (else the configured default)."""
    known = known or (hint if hint in ("es", "en") else None)
    if known and len(normalize_text(text).split()) < SHORT_MESSAGE_WORDS:
        return known
    return prepared.verdict(text) or known or default


def prepare(index: KbIndex, default_language: str, inputs: Sequence[TurnInput],
            triager: Triager | None = None) -> Prepared:
    """Compute ahead, outside any write transaction, what the batch's turns will ask for.
    The sender's stored language is not read here: the KB match is computed for the language
    the text itself shows (the hint, else the default, when unclear), which is what the turn
    asks for except for a returning sender's short or unclear message. With `triager`, the
    same texts are triaged ahead (a turn asks whether it is an emergency before the KB)."""
    prepared = Prepared(triager=triager, words=index.words)
    asked = [(item.text, choose_language(prepared, item.text, item.hint, None, default_language))
             for item in inputs if prepared.intent(item.text).name not in OWN_INTENTS]
    with encoded_ahead(index, [text for text, _ in asked]):
        for text, lang in asked:
            prepared.match(index, text, lang)
        if triager is not None:   # inside: triage reads the same vectors, encoded ahead
            for text, _ in asked:
                if text not in prepared.triaged:
                    prepared.triaged[text] = triage(triager, text)
    return prepared


class VerdictMemo:
    """The verdicts one fitted Triager gave on recent texts (a verdict depends only on the
    text and the fit; a refit is a new Triager with its own memo). Widget and chat customers
    send the same questions again and again; each is classified once."""

    def __init__(self, size: int = VERDICT_MEMO_SIZE) -> None:
        self.size = size
        self.verdicts: dict[str, Verdict] = {}
        self.lock = threading.Lock()

    def classify(self, triager: Triager, text: str) -> Verdict:
        with self.lock:
            found = self.verdicts.get(text)
        if found is not None:
            return found
        verdict = triager.classify(text)
        with self.lock:
            if len(self.verdicts) >= self.size:   # the oldest first
                del self.verdicts[next(iter(self.verdicts))]
            self.verdicts[text] = verdict
        return verdict


_MEMOS: weakref.WeakKeyDictionary[Triager, VerdictMemo] = weakref.WeakKeyDictionary()
_MEMOS_LOCK = threading.Lock()


def triage(triager: Triager, text: str) -> Verdict:
    """`triager.classify(text)`, remembered for this Triager across batches."""
    with _MEMOS_LOCK:
        memo = _MEMOS.get(triager)
        if memo is None:
            memo = _MEMOS[triager] = VerdictMemo()
    return memo.classify(triager, text)


def encoded_ahead(index: KbIndex, texts: list[str]) -> AbstractContextManager[object]:
    """The batch's texts through the sentence encoder in one call (what the matcher encodes
    for each: the text and its sentences), instead of one call per message."""
    if index.meaning is None or not texts:
        return nullcontext()
    return index.meaning.encoder.encoded_ahead(
        [part for text in texts for part in split_message(text).texts])


def batch_triager(factory: sessionmaker[Session], config: AtiendeConfig) -> Triager:
    """The Triager for a batch, read before its write transaction (a plain read)."""
    with factory() as session:
        return triager_for(session, config)


def read_inputs(factory: sessionmaker[Session], message_ids: Sequence[int]) -> list[TurnInput]:
    """The messages' texts, for routing that did not come straight from storing (the retry
    job); a plain read, which SQLite's WAL lets run beside the writer."""
    with factory() as session:
        rows = session.execute(TURN_INPUTS, {"message_ids": list(message_ids)}).all()
    return [TurnInput(text or "", hint) for text, hint in rows]
