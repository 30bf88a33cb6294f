"""Bounded reads for many keys at once: each key's newest rows along an index, with a LIMIT,
all in one UNION ALL. A window or a GROUP BY over every row of every key reads a customer's
whole history, so a customer with thousands of messages, tickets or conversations made each
of their messages dearer; a LIMIT per key along an index does not."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CompoundSelect, Select, select, union_all

MAX_PARTS = 100   # keys per statement (SQLite allows 500 parts in one compound SELECT)


def union_of(parts: Sequence[Select[Any]]) -> Select[Any] | CompoundSelect:
    """Every part's rows in one statement. Each part is wrapped as a subquery so its ORDER BY
    and LIMIT hold (SQLite rejects them directly inside a compound SELECT)."""
    wrapped = [select(part.subquery()) for part in parts]
    return wrapped[0] if len(wrapped) == 1 else union_all(*wrapped)


def chunked(keys: Sequence[Any], size: int = MAX_PARTS) -> list[Sequence[Any]]:
    return [keys[start:start + size] for start in range(0, len(keys), size)]
