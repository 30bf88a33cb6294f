"""WhatsApp's 24-hour customer-service window: free text inside it, approved templates outside."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config.root import WhatsAppConfig, WhatsAppTemplate
from bot.store.models import ContactIdentity, Conversation, Message
from channels.base import DeliveryHeld, OutboundMessage
from channels.twilio_wire import CHANNEL

WINDOW = timedelta(hours=24)
LOOKUP_CHUNK = 500   # addresses per IN (...) list
TEMPLATE_VARIABLE_CHARS = 900   # WhatsApp caps a template body at 1,024 characters


def can_send_free_text(conversation_last_inbound_at: datetime | None, now: datetime) -> bool:
    """The one rule: free text only within 24 h of the customer's last message."""
    if conversation_last_inbound_at is None:
        return False
    return now - conversation_last_inbound_at < WINDOW


def find_last_inbound(session: Session, address: str) -> datetime | None:
    """The customer's last message on WhatsApp, or None if the provider closed the window since.

    Conversation.last_inbound_at drives the window; a message stored but not routed yet counts
    too. Twilio's error 63016 (recorded as `template_required_at`) closes it until they write.
    """
    return find_last_inbound_many(session, [address]).get(address)


def find_last_inbound_many(session: Session,
                           addresses: Collection[str]) -> dict[str, datetime | None]:
    """find_last_inbound for many addresses in three queries (a dispatcher batch).

    Every lookup goes through indexed columns (the identities, then their contacts' rows).
    """
    found: dict[str, datetime | None] = dict.fromkeys(addresses)
    for start in range(0, len(found), LOOKUP_CHUNK):
        chunk = list(found)[start:start + LOOKUP_CHUNK]
        owners = {address: contact_id for address, contact_id in session.execute(
            select(ContactIdentity.address, ContactIdentity.contact_id)
            .where(ContactIdentity.channel == CHANNEL, ContactIdentity.address.in_(chunk)))}
        if not owners:
            continue
        routed = session.execute(
            select(Conversation.contact_id, Conversation.address,
                   func.max(Conversation.last_inbound_at),
                   func.max(Conversation.template_required_at))
            .where(Conversation.contact_id.in_(set(owners.values())),
                   Conversation.channel == CHANNEL, Conversation.address.in_(list(owners)))
            .group_by(Conversation.contact_id, Conversation.address)).tuples()
        stored = session.execute(
            select(Message.contact_id, Message.sender, func.max(Message.created_at))
            .where(Message.contact_id.in_(set(owners.values())), Message.channel == CHANNEL,
                   Message.direction == "in", Message.sender.in_(list(owners)))
            .group_by(Message.contact_id, Message.sender)).tuples()
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


def purpose_of(kind: str) -> str:
    """Which configured template stands in for an outbound message of this kind."""
    if kind == "page":
        return "page"
    if "rating" in kind:
        return "rating_request"
    return "agent_reply"


@dataclass(frozen=True)
class TemplateSend:
    content_sid: str
    content_variables: str


def fill_template(template: WhatsAppTemplate, values: Mapping[str, str]) -> TemplateSend:
    """The template's variables with {text}, {ticket_number}, … filled in, as Twilio JSON."""
    filled = {}
    for name, pattern in template.variables.items():
        value = pattern.format_map(SafeValues(values))
        filled[name] = shorten(value, TEMPLATE_VARIABLE_CHARS)
    return TemplateSend(template.content_sid, json.dumps(filled, ensure_ascii=False))


class SafeValues(dict[str, str]):
    """format_map values where an unknown {name} stays as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def choose_template(config: WhatsAppConfig, message: OutboundMessage,
                    last_inbound: datetime | None, company: str) -> TemplateSend:
    """Outside the window: the configured template for this message, or DeliveryHeld."""
    purpose = purpose_of(message.kind)
    template = config.templates.get(purpose)  # type: ignore[call-overload]
    if template is None:
        since = last_inbound.isoformat(timespec="minutes") if last_inbound else "never"
        raise DeliveryHeld(
            f"outside the WhatsApp 24 h window (customer's last message: {since}) and no "
            f"template configured for {purpose} (channels.whatsapp.templates.{purpose}); "
            f"held until the customer writes again")
    values = {"text": message.text, "company": company,
              "ticket_number": str(message.ticket_number or ""),
              "subject": str(message.metadata.get("subject") or "")}
    return fill_template(template, values)
