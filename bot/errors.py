"""The engine's own errors; user mistakes carry a one-line message.

Adapters raise the errors in `channels.base` (InvalidWebhook, DeliveryError, …) and the knowledge
base raises `kb.loader.KbInvalid`; the command line turns all of them into one line and exit 2.
"""

from __future__ import annotations


class AtiendeError(Exception):
    """Base of every error the engine and the command line raise on purpose."""


class ConfigError(AtiendeError):
    """config.yaml or an environment override is invalid: names the file and the key."""


class DatabaseUnreachable(AtiendeError):
    """The configured database cannot be opened or reached: names the URL and the cause."""
