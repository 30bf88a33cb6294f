"""When each customer last wrote to us per channel: what messaging windows (WhatsApp 24 h) need."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from bot.store.models import ContactIdentity, Conversation, Message

LOOKUP_CHUNK = 500   # addresses per IN (...) list
_IDENTITIES, _MESSAGES = ContactIdentity.__table__, Message.__table__
# The identities of these addresses on the channel (their contacts), each with its newest
# stored inbound message, one row along ix_messages_channel_sender: a customer who wrote
# 10,000 times costs what a new one does (a max over all of their messages did not).
LAST_STORED = select(
    _IDENTITIES.c.contact_id, _IDENTITIES.c.address,
    select(_MESSAGES.c.created_at).where(
        _MESSAGES.c.channel == _IDENTITIES.c.channel, _MESSAGES.c.sender == _IDENTITIES.c.address,
        _MESSAGES.c.contact_id == _IDENTITIES.c.contact_id, _MESSAGES.c.direction == "in")
    .order_by(_MESSAGES.c.id.desc()).limit(1).correlate(_IDENTITIES).scalar_subquery(),
).where(_IDENTITIES.c.channel == bindparam("channel"),
        _IDENTITIES.c.address.in_(bindparam("addresses", expanding=True)))


def find_last_inbound_many(session: Session, channel: str,
                           addresses: Collection[str]) -> dict[str, datetime | None]:
    """When each address last wrote on `channel`, in two queries (a dispatcher batch).

    None when it never wrote, or when the provider closed the window since
    (`template_required_at`, set by a delivery failure). A message stored but not routed yet
    counts too.

    Every lookup goes through indexed columns (the identities, then their contacts' rows).
    """
    found: dict[str, datetime | None] = dict.fromkeys(addresses)
    for start in range(0, len(found), LOOKUP_CHUNK):
        chunk = list(found)[start:start + LOOKUP_CHUNK]
        stored = session.execute(LAST_STORED, {"channel": channel, "addresses": chunk}).all()
        owners = {address: contact_id for contact_id, address, _ in stored}
        if not owners:
            continue
        routed = session.execute(
            select(Conversation.contact_id, Conversation.address,
                   func.max(Conversation.last_inbound_at),
                   func.max(Conversation.template_required_at))
            .where(Conversation.contact_id.in_(set(owners.values())),
                   Conversation.channel == channel, Conversation.address.in_(list(owners)))
            .group_by(Conversation.contact_id, Conversation.address))
        closed: dict[str, datetime | None] = {}
        seen: dict[str, list[datetime]] = {}
        for contact_id, address, last_routed, closed_at in routed:
            if owners.get(address) == contact_id:
                closed[address] = as_aware(closed_at)
                if last_routed is not None:
                    seen.setdefault(address, []).append(as_aware(last_routed))  # type: ignore[arg-type]
        for contact_id, sender, stored_at in stored:
            if owners.get(sender) == contact_id and stored_at is not None:
                seen.setdefault(sender, []).append(as_aware(stored_at))  # type: ignore[arg-type]
        for address, times in seen.items():
            last, closed_at = max(times), closed.get(address)
            found[address] = None if closed_at is not None and closed_at >= last else last
    return found


def as_aware(value: datetime | None) -> datetime | None:
    """Aggregates skip the column type on some backends: make them UTC-aware again."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
