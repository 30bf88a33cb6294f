"""An encoder backend's embed function that counts its calls (how many texts each)."""

from __future__ import annotations

from typing import Any


class CountingEmbed:
    def __init__(self, embed: Any) -> None:
        self.embed = embed
        self.calls: list[int] = []

    def __call__(self, texts: list[str]) -> Any:
        self.calls.append(len(texts))
        return self.embed(texts)
