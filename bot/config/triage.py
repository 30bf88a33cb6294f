"""config.yaml `triage:`: how the desk describes its ticket categories, for the classifier."""

# ruff: noqa: RUF012

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field

from bot.config.section import Section

Category = Literal["technical", "functional", "billing", "account", "training",
                   "customization", "emergency", "suggestion"]
Priority = Literal["low", "medium", "high", "critical"]
BUILT_IN = Path(__file__).resolve().parents[1] / "engine" / "triage" / "categories.yaml"


class TriageExample(Section):
    """A first message and the priority a lead would give it."""

    text: str = Field(min_length=1, max_length=2000)
    priority: Priority | None = None


class CategoryDescription(Section):
    description: dict[Literal["es", "en"], str] = {}
    examples: list[TriageExample] = []


@cache
def built_in_categories() -> dict[str, CategoryDescription]:
    """The shipped descriptions and examples (bot/engine/triage/categories.yaml)."""
    data = yaml.safe_load(BUILT_IN.read_text(encoding="utf-8"))
    return {name: CategoryDescription.model_validate(value) for name, value in data.items()}


class TriageConfig(Section):
    # Per category: a description (es/en) and example messages. A category left out keeps
    # the built-in description and examples.
    categories: dict[Category, CategoryDescription] = Field(default_factory=dict)
    # Labelled first messages, one JSON object a line {"text", "category", "priority"};
    # empty = the examples shipped with Atiende (the public triage-eval dev split).
    examples_file: str = ""
    shipped_examples: bool = True
    # Ask "is your operation or your sales stopped?" when unsure whether it is an emergency.
    ask_impact: bool = True
    # Encoded examples are cached here (relative to the config file's folder); the fitted
    # model is kept beside it, keyed by a hash of its inputs (triage-model-<hash>.npz).
    cache: str = ".cache/triage-vectors.npz"

    def described(self) -> dict[str, CategoryDescription]:
        return {**built_in_categories(), **self.categories}
