"""When each customer last wrote to us per channel: what messaging windows (WhatsApp 24 h) need."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import ContactIdentity, Conversation, Message

LOOKUP_CHUNK = 500   # addresses per IN (...) list


def find_last_inbound_many(session: Session, channel: str,
                           addresses: Collection[str]) -> dict[str, datetime | None]:
    """When each address last wrote on `channel`, in three queries (a dispatcher batch).

    None when it never wrote, or when the provider closed the window since
    (`template_required_at`, set by a delivery failure). A message stored but not routed yet
    counts too.

    Every lookup goes through indexed columns (the identities, then their contacts' rows).
    """
    found: dict[str, datetime | None] = dict.fromkeys(addresses)
    for start in range(0, len(found), LOOKUP_CHUNK):
        chunk = list(found)[start:start + LOOKUP_CHUNK]
        owners = {address: contact_id for address, contact_id in session.execute(
            select(ContactIdentity.address, ContactIdentity.contact_id)
            .where(ContactIdentity.channel == channel, ContactIdentity.address.in_(chunk)))}
        if not owners:
            continue
        routed = session.execute(
            select(Conversation.contact_id, Conversation.address,
                   func.max(Conversation.last_inbound_at),
                   func.max(Conversation.template_required_at))
            .where(Conversation.contact_id.in_(set(owners.values())),
                   Conversation.channel == channel, Conversation.address.in_(list(owners)))
            .group_by(Conversation.contact_id, Conversation.address))
        stored = session.execute(
            select(Message.contact_id, Message.sender, func.max(Message.created_at))
            .where(Message.contact_id.in_(set(owners.values())), Message.channel == channel,
                   Message.direction == "in", Message.sender.in_(list(owners)))
            .group_by(Message.contact_id, Message.sender))
        closed: dict[str, datetime | None] = {}
        seen: dict[str, list[datetime]] = {}
        for contact_id, address, last_routed, closed_at in routed:
            if owners.get(address) == contact_id:
                closed[address] = as_aware(closed_at)
                if last_routed is not None:
                    seen.setdefault(address, []).append(as_aware(last_routed))  # type: ignore[arg-type]
        for contact_id, sender, last_stored in stored:
            if owners.get(sender) == contact_id and last_stored is not None:
                seen.setdefault(sender, []).append(as_aware(last_stored))  # type: ignore[arg-type]
        for address, times in seen.items():
            last, closed_at = max(times), closed.get(address)
            found[address] = None if closed_at is not None and closed_at >= last else last
    return found


def as_aware(value: datetime | None) -> datetime | None:
    """Aggregates skip the column type on some backends: make them UTC-aware again."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
