"""VIP-only categories (`vip.only_categories`): a regular customer is told so, politely, with
the alternatives, and no ticket is opened in such a category for them."""

from __future__ import annotations

from bot.engine.replies import CATEGORY_NAMES, name_of
from bot.engine.turn import Turn


def is_vip_only(turn: Turn, category: str | None) -> bool:
    """The category is reserved for VIP customers and this customer is not one."""
    if category is None or category not in turn.ctx.config.vip.only_categories:
        return False
    return not (turn.contact.vip or turn.ctx.config.is_vip_address(turn.message.sender))


def decline(turn: Turn, category: str) -> None:
    """Say why, and what we can do instead (the KB, or a ticket in a category that fits)."""
    turn.say("vip_only_category", category=name_of(CATEGORY_NAMES, category, turn.lang))
    turn.decide("vip_only_category_declined", detail=category)
