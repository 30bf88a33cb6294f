"""What outbound mail needs to know about earlier mail, asked of the composition root.

The engine's database answers it (`bot/engine/mail_history.py`); the adapter only sees this
narrow protocol: the threading headers to continue, and the automatic mail sent lately.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

MAX_REFERENCES = 20
HUMAN_KINDS = frozenset({"agent_reply", "agent_notice", "page"})


@dataclass(frozen=True)
class ThreadHeaders:
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    subject: str | None = None


class MailHistory(Protocol):
    def thread_for(self, in_reply_to: int | None, ticket_id: int | None,
                   recipient: str) -> ThreadHeaders:
        """Answer the customer's mail we reply to; else continue our last mail on the ticket."""
        ...

    def auto_replies_since(self, recipient: str, since: datetime) -> set[int]:
        """Outbox ids of automatic mail (not agents' words) sent to `recipient` since `since`."""
        ...
