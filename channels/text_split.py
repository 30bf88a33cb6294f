"""Split long texts into provider-sized parts at paragraph, line or word boundaries, and
write buttons out as text where a message cannot carry them."""

from __future__ import annotations

from kb.normalize import normalize_text

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


def degrade_buttons(text: str, buttons: tuple[str, ...]) -> str:
    """Buttons a message cannot carry (WhatsApp free text; a reply joined before another one):
    name them after the text, unless the text already offers them."""
    norm = f" {normalize_text(text)} "
    missing = [label for label in buttons
               if not (word := normalize_text(label)) or f" {word} " not in norm]
    if not missing:
        return text
    return f"{text}\n\n" + " · ".join(buttons)
