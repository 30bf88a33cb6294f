"""The channels section of config.yaml, composed from the channel table: each channel's own
sub-model lives beside its adapter (e.g. channels/whatsapp/config.py) and is named by its line in
channels/registry.py, so a new channel adds no line here."""

from __future__ import annotations

from typing import Any

from pydantic import create_model

from bot.config.section import Section
from channels.registry import CHANNELS, load_target


def section_fields() -> dict[str, Any]:
    """`name: Model | None = None` for every channel in the table (absent section: off)."""
    return {name: (load_target(entry.section) | None, None) for name, entry in CHANNELS.items()}


ChannelsConfig = create_model("ChannelsConfig", __base__=Section, **section_fields())
