"""Who still has messages stored and not routed yet, in this process: so a reply can wait a
moment for the answers to its customer's next messages and leave with them (outbox_join).

A customer who sends five messages in a row while routing is behind (a burst) would get
their answers in several sends as each is routed; the sends are what the provider's rate
limits. The serving dispatcher leaves a bot reply pending while its recipient has messages
queued for routing here (at most `outbox.REPLY_WAIT`), and the replies to those messages join
it. Routing keeps up within milliseconds in steady use, so a reply seldom waits at all.

Counts are kept per (channel, address): a stored message's sender is the address its replies
go to. Added when a new message is queued for routing (on the event loop), given back when
its routing batch is over (in the routing thread, right after the batch's commit), whatever
the outcome: a message that failed is the retry job's, and nothing waits for it. Only this
process's queue is known: with several workers, a reply does not wait for another worker's.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable

Line = tuple[str, str]   # channel, address


class RoutingBacklog:
    """(channel, address) → messages queued for routing; thread-safe."""

    def __init__(self) -> None:
        self.lines: dict[int, Line] = {}   # message id → its sender's line
        self.counts: Counter[Line] = Counter()
        self.lock = threading.Lock()

    def add(self, message_id: int, line: Line) -> None:
        with self.lock:
            if message_id not in self.lines:
                self.lines[message_id] = line
                self.counts[line] += 1

    def done(self, message_ids: Iterable[int]) -> None:
        with self.lock:
            for message_id in message_ids:
                line = self.lines.pop(message_id, None)
                if line is None:
                    continue
                self.counts[line] -= 1
                if self.counts[line] <= 0:
                    del self.counts[line]

    def waiting(self, line: Line) -> bool:
        """Whether this address has messages not routed yet."""
        return line in self.counts

    def __len__(self) -> int:
        """How many addresses are waiting."""
        return len(self.counts)
