"""Ticket triage: category and priority from the customer's meaning, words and impact (es/en).

classify.py fits the classifiers, impact.py reads what stopped, words.py holds the everyday
words of each category; this module keeps one fitted Triager per process and config.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.engine.triage.words import category_hits

if TYPE_CHECKING:
    from bot.config.root import AtiendeConfig
    from bot.engine.triage.classify import Triager

_LOCK = threading.Lock()
_FITTED: dict[int, tuple[object, tuple[int, int], Triager]] = {}


def triager_for(session: Session, config: AtiendeConfig) -> Triager:
    """The process's Triager for this config, refitted when agents' approved examples
    changed (one cheap count per call; a refit takes milliseconds once vectors are cached)."""
    from bot.desk.triage_learning import approved, approved_version
    from bot.engine.triage.classify import Triager
    from bot.engine.triage.model import Example

    version = approved_version(session)
    with _LOCK:
        found = _FITTED.get(id(config))
        if found is not None and found[0] is config and found[1] == version:
            return found[2]
        learned = [Example(*row) for row in approved(session)] if version[0] else []
        fitted = Triager.from_config(config, learned)
        _FITTED[id(config)] = (config, version, fitted)
        return fitted


def explicit_category(text: str) -> str | None:
    """The category whose everyday words the text uses most, None without any: whether a
    follow-up is plainly about another topic than the open ticket."""
    hits = category_hits(text)
    best = max(hits, key=lambda name: hits[name])
    return best if hits[best] else None


def subject_from(text: str, limit: int = 80) -> str:
    """A one-line subject: the first line of the message, cut at a word boundary."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first) <= limit:
        return first or "(sin texto)"
    return first[:limit].rsplit(" ", 1)[0] + "…"
