"""WhatsApp's 24-hour customer-service window: free text inside it, approved templates outside."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from channels.base import DeliveryHeld, OutboundMessage
from channels.whatsapp.config import WhatsAppConfig, WhatsAppTemplate

WINDOW = timedelta(hours=24)
TEMPLATE_VARIABLE_CHARS = 900   # WhatsApp caps a template body at 1,024 characters


def can_send_free_text(conversation_last_inbound_at: datetime | None, now: datetime) -> bool:
    """The one rule: free text only within 24 h of the customer's last message."""
    if conversation_last_inbound_at is None:
        return False
    return now - conversation_last_inbound_at < WINDOW


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
