"""VIP-only categories (`vip.only_categories`): a regular customer is told so, politely, with
the alternatives, and no ticket is opened in such a category for them.

The decline is remembered with what the customer asked: their next message that is no
question for the knowledge base ("please check", "no sé", a description, "an agent") opens
the ticket in the category that fits best among those they may open."""

from __future__ import annotations

from bot.engine.conversations import set_state
from bot.engine.replies import CATEGORY_NAMES, name_of
from bot.engine.turn import Turn

DECLINED_STATE = "vip_declined"


def is_vip_only(turn: Turn, category: str | None) -> bool:
    """The category is reserved for VIP customers and this customer is not one."""
    if category is None or category not in turn.ctx.config.vip.only_categories:
        return False
    return not is_vip(turn)


def is_vip(turn: Turn) -> bool:
    return turn.contact.vip or turn.ctx.config.is_vip_address(turn.message.sender)


def excluded(turn: Turn) -> frozenset[str]:
    """The categories this customer may not open a ticket in."""
    return frozenset() if is_vip(turn) else frozenset(turn.ctx.config.vip.only_categories)


def decline(turn: Turn, category: str) -> None:
    """Say why, and what we can do instead (the KB, or a ticket in a category that fits)."""
    turn.say("vip_only_category", category=name_of(CATEGORY_NAMES, category, turn.lang))
    turn.decide("vip_only_category_declined", detail=category)


def decline_request(turn: Turn, category: str, request: str) -> None:
    """Decline a new ticket's category and keep the request for the customer's next message."""
    decline(turn, category)
    set_state(turn.conversation, DECLINED_STATE, turn.now, request=request)
