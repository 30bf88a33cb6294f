"""Who else has a ticket open or is typing on it (this process's event streams; in memory)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

TYPING_SECONDS = 6.0


class Presence:
    """Viewers are counted per open event stream; typing marks fade after a few seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.viewers: dict[int, Counter[str]] = {}
        self.typing: dict[int, dict[str, float]] = {}

    def join(self, number: int, email: str) -> None:
        self.viewers.setdefault(number, Counter())[email] += 1

    def leave(self, number: int, email: str) -> None:
        counts = self.viewers.get(number)
        if counts is None:
            return
        counts[email] -= 1
        if counts[email] <= 0:
            del counts[email]
        self.typing.get(number, {}).pop(email, None)

    def mark_typing(self, number: int, email: str) -> None:
        self.typing.setdefault(number, {})[email] = self.clock() + TYPING_SECONDS

    def snapshot(self, number: int, me: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(others viewing, others typing), sorted, without `me`."""
        now = self.clock()
        viewing = tuple(sorted(e for e in self.viewers.get(number, {}) if e != me))
        typing = tuple(sorted(e for e, until in self.typing.get(number, {}).items()
                              if until > now and e != me))
        return viewing, typing
