"""Split long texts into provider-sized parts at paragraph, line or word boundaries."""

from __future__ import annotations

SEPARATORS = ("\n\n", "\n", " ")


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` characters, in order; never an empty list.

    Cuts at the last paragraph break, else line break, else space in the window; a single
    word longer than `limit` is cut hard.
    """
    if limit <= 0:
        raise ValueError("limit must be positive")
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = find_cut(rest, limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts


def find_cut(text: str, limit: int) -> int:
    """Where to end the next part: just after a separator inside the first `limit` chars."""
    window = text[:limit + 1]
    for separator in SEPARATORS:
        position = window.rfind(separator, 0, limit + 1)
        if position > 0:
            return position + len(separator) if position + len(separator) <= limit else position
    return limit
