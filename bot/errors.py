"""The small error hierarchy every layer raises; user mistakes carry a one-line message."""

from __future__ import annotations


class AtiendeError(Exception):
    """Base of every error Atiende raises on purpose."""


class ConfigError(AtiendeError):
    """config.yaml or an environment override is invalid: names the file and the key."""


class KbInvalid(AtiendeError):
    """The knowledge base folder has problems; `problems` lists each with file and line."""

    def __init__(self, problems: list) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the knowledge base")


class InvalidWebhook(AtiendeError):
    """A webhook request failed validation; `status` is the HTTP status to answer."""

    def __init__(self, reason: str, status: int = 400) -> None:
        self.reason = reason
        self.status = status
        super().__init__(reason)


class UnparseableEmail(AtiendeError):
    """An email could not be parsed; it is quarantined with this reason."""


class DeliveryError(AtiendeError):
    """Sending through a channel failed; transient ones are retried after `retry_after` s."""

    def __init__(self, reason: str, transient: bool = True, retry_after: float | None = None):
        self.transient = transient
        self.retry_after = retry_after
        super().__init__(reason)


class DeliveryHeld(DeliveryError):
    """The channel may not deliver this message now (e.g. outside WhatsApp's 24 h window).

    The outbox keeps the row as `held` with the reason, until the channel can send it.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason, transient=False)


class ChannelOff(AtiendeError):
    """A channel could not start (say, its token was refused): it stays off, the rest runs."""
