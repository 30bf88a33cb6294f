"""WhatsApp's 24-hour customer-service window: free text inside it, approved templates outside."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import WhatsAppConfig, WhatsAppTemplate
from bot.errors import DeliveryHeld
from bot.models import ContactIdentity, Conversation, Message
from channels.base import OutboundMessage
from channels.twilio_wire import CHANNEL

WINDOW = timedelta(hours=24)
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
    Every lookup goes through indexed columns (the identity, then the contact's rows).
    """
    contact_id = session.scalar(select(ContactIdentity.contact_id).where(
        ContactIdentity.channel == CHANNEL, ContactIdentity.address == address))
    if contact_id is None:
        return None
    conversations = (Conversation.contact_id == contact_id, Conversation.channel == CHANNEL,
                     Conversation.address == address)
    stored = select(func.max(Message.created_at)).where(
        Message.contact_id == contact_id, Message.channel == CHANNEL, Message.direction == "in",
        Message.sender == address).scalar_subquery()
    last_routed, closed_at, last_stored = session.execute(
        select(func.max(Conversation.last_inbound_at), func.max(Conversation.template_required_at),
               stored).where(*conversations)).one()
    last = max((as_aware(at) for at in (last_routed, last_stored) if at is not None),
               default=None)
    closed_at = as_aware(closed_at)
    if last is not None and closed_at is not None and closed_at >= last:
        return None
    return last


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
