"""Text for one-line log records."""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """An error's first line (a database driver's message can run to many lines)."""
    return (str(exc).splitlines() or [type(exc).__name__])[0]
