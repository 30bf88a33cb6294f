"""SQLite's single writer, shared by this process's inbound path, with storing first."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class StoreFirstWriter:
    """One write transaction at a time; a store waiting goes before any routing waiting.

    Storing is what a webhook's acknowledgement waits for; routing catches up in the
    background. So when the turn frees up, a waiting store takes it even if a routing batch
    asked first, and a routing batch starts only while no store waits. A routing batch in
    progress is not interrupted (its batches are bounded). Re-entrant per thread.
    """

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.owner: int | None = None
        self.depth = 0
        self.stores_waiting = 0
        self.routes_waiting = 0

    @contextmanager
    def turn(self, store: bool) -> Iterator[None]:
        self.acquire(store)
        try:
            yield
        finally:
            self.release()

    def acquire(self, store: bool) -> None:
        me = threading.get_ident()
        with self.changed:
            if self.owner == me:
                self.depth += 1
                return
            self.count_waiting(store, 1)
            try:
                self.changed.wait_for(lambda: self.owner is None
                                      and (store or not self.stores_waiting))
            finally:
                self.count_waiting(store, -1)
            self.owner, self.depth = me, 1

    def try_acquire(self) -> bool:
        """Take the turn for a store only if it is free now and no store waits for it; False
        otherwise, without waiting (the event loop must never wait here)."""
        with self.changed:
            if self.owner is not None or self.stores_waiting:
                return False
            self.owner, self.depth = threading.get_ident(), 1
            return True

    def count_waiting(self, store: bool, change: int) -> None:
        if store:
            self.stores_waiting += change
        else:
            self.routes_waiting += change

    def release(self) -> None:
        with self.changed:
            self.depth -= 1
            if self.depth == 0:
                self.owner = None
                self.changed.notify_all()
