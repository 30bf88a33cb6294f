"""What the widget asks of the engine's records (given as `context.queries["web_history"]`)."""

from __future__ import annotations

from typing import Any, Protocol

MAX_HISTORY = 200


class WebHistory(Protocol):
    def history(self, address: str, limit: int = MAX_HISTORY) -> list[dict[str, Any]]:
        """The visitor's conversation, oldest first: `{"id", "direction", "text", "buttons",
        "kind", "at", "attachments"}`; inbound ids are the widget's own message ids."""
        ...

    def link_email(self, address: str, email: str) -> bool:
        """Record the visitor's email as one more identity of the same contact (False when
        the address is already another contact's)."""
        ...

    def forward_by_email(self, address: str, outbox_id: int) -> bool:
        """Queue a copy of an outbound message to the visitor's email (they left the page);
        False when they left none."""
        ...


class NoHistory:
    """Used when the composition root gives none (tests of the adapter alone)."""

    def history(self, address: str, limit: int = MAX_HISTORY) -> list[dict[str, Any]]:
        return []

    def link_email(self, address: str, email: str) -> bool:
        return False

    def forward_by_email(self, address: str, outbox_id: int) -> bool:
        return False
