"""Twilio's webhook wire format: signed form posts in, `InboundMessage` and status reports out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote

from starlette.datastructures import ImmutableMultiDict

from channels.base import Attachment, InboundMessage, InvalidWebhook
from channels.webhook_edge import is_storable, parse_number
from channels.whatsapp.signature import TwilioSignature

CHANNEL = "whatsapp"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_MEDIA = 10
STATUSES = ("accepted", "scheduled", "queued", "sending", "sent", "delivered", "read",
            "failed", "undelivered", "canceled", "receiving", "received")

SID = re.compile(r"[A-Za-z0-9]{2,64}")   # Twilio's SIDs: two letters and 32 hex digits
ERROR_CODE = re.compile(r"[0-9]{1,10}")
MAX_ADDRESS = 320   # the contact address column

Form = ImmutableMultiDict[str, str]


def parse_form(content_type: str, body: bytes) -> Form:
    """The posted parameters, blank ones included (Twilio signs them too)."""
    if content_type.split(";")[0].strip().lower() != FORM_TYPE:
        raise InvalidWebhook(f"expected {FORM_TYPE}, got {content_type or 'no content type'}")
    try:
        pairs = form_pairs(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidWebhook("body is not a valid form") from None
    return ImmutableMultiDict(pairs)


def form_pairs(text: str) -> list[tuple[str, str]]:
    """`parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))`, the same pairs and
    the same ValueError, at about half its cost (every webhook pays it): a name or value is
    decoded only when it holds a `+` or a `%`."""
    if not text:
        return []
    pairs = []
    for field in text.split("&"):
        name, equals, value = field.partition("=")
        if not equals:
            raise ValueError(f"bad query field: {field!r}")
        pairs.append((form_decoded(name), form_decoded(value)))
    return pairs


def form_decoded(text: str) -> str:
    if "+" in text:
        text = text.replace("+", " ")
    return unquote(text, errors="replace") if "%" in text else text


def signed_url(public_url: str, path: str, query: str) -> str:
    """The URL Twilio called: the public base from config, never the Host header."""
    return public_url.rstrip("/") + path + (f"?{query}" if query else "")


def check_signature(validator: TwilioSignature, url: str, form: Form,
                    signature: str | None) -> None:
    if not signature:
        raise InvalidWebhook("missing X-Twilio-Signature header", status=403)
    if not validator.is_valid(url, form, signature):
        raise InvalidWebhook(f"X-Twilio-Signature does not match a request to {url}",
                             status=403)


def check_storable(form: Form) -> None:
    """Every posted value must be storable text (no NUL; the form decoder already replaced
    bytes that are not UTF-8). All of them are looked at in one piece first (storable
    pieces make a storable whole, and back); one by one only to name the bad one."""
    items = form.multi_items()
    if is_storable("".join(name + value for name, value in items)):
        return
    for name, value in items:
        if not (is_storable(name) and is_storable(value)):
            raise InvalidWebhook(f"{name[:40]!r} holds a NUL character")


def require(form: Form, name: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise InvalidWebhook(f"missing {name}")
    return value


def parse_sid(form: Form, name: str) -> str:
    value = require(form, name)
    if not SID.fullmatch(value):
        raise InvalidWebhook(f"{name} is not a Twilio SID: {value[:40]!r}")
    return value


def parse_address(form: Form, name: str) -> str:
    """A WhatsApp address as Twilio writes it ("whatsapp:+573001234567")."""
    value = require(form, name)
    if not value.startswith(f"{CHANNEL}:") or len(value) > MAX_ADDRESS:
        raise InvalidWebhook(f"{name} is not a WhatsApp address: {value[:40]!r}")
    return value


def parse_error_code(form: Form) -> str | None:
    code = form.get("ErrorCode", "").strip() or None
    if code is not None and not ERROR_CODE.fullmatch(code):
        raise InvalidWebhook(f"ErrorCode must be a number, got {code[:40]!r}")
    return code


def parse_count(form: Form, name: str) -> int:
    return parse_number(form.get(name, "0").strip() or "0", name, MAX_MEDIA)


def parse_media(form: Form) -> tuple[Attachment, ...]:
    """MediaUrl{N}/MediaContentType{N} for N < NumMedia, as attachments still to download."""
    items = []
    for index in range(parse_count(form, "NumMedia")):
        url = require(form, f"MediaUrl{index}")
        if not url.startswith(("http://", "https://")):
            raise InvalidWebhook(f"MediaUrl{index} is not an http(s) URL")
        content_type = form.get(f"MediaContentType{index}", "") or "application/octet-stream"
        items.append(Attachment(filename=f"{index}", content_type=content_type, url=url))
    return tuple(items)


def location_text(form: Form) -> str:
    """A shared location as text the engine and agents can read: "📍 lat,lon address"."""
    latitude, longitude = form.get("Latitude", ""), form.get("Longitude", "")
    if not latitude or not longitude:
        return ""
    try:
        float(latitude), float(longitude)
    except ValueError:
        raise InvalidWebhook("Latitude/Longitude are not numbers") from None
    label = " ".join(filter(None, (form.get("Label", ""), form.get("Address", ""))))
    return f"📍 {latitude},{longitude} {label}".strip()


def message_text(form: Form) -> str:
    """Body; else the tapped button's text or payload; else the shared location."""
    for name in ("Body", "ButtonText", "ButtonPayload"):
        value = form.get(name, "").strip()
        if value:
            return value
    return location_text(form)


def referral(form: Form) -> dict[str, str]:
    """Click-to-WhatsApp ad details (Referral*), when the chat started from an ad."""
    return {key: value for key, value in form.multi_items() if key.startswith("Referral")}


def parse_inbound(form: Form, received_at: datetime) -> InboundMessage:
    """One Twilio WhatsApp message; every posted parameter is kept in `raw`."""
    check_storable(form)
    message_sid = parse_sid(form, "MessageSid")
    sender = parse_address(form, "From")
    parse_address(form, "To")
    raw: dict[str, object] = dict(form.multi_items())
    if found := referral(form):
        raw["_referral"] = found
    location = location_text(form)
    if location:
        raw["_location"] = location
    return InboundMessage(
        channel=CHANNEL, provider_message_id=message_sid, sender=sender,
        text=message_text(form), received_at=received_at,
        sender_name=form.get("ProfileName", "").strip() or None,
        attachments=parse_media(form),
        reply_to=form.get("OriginalRepliedMessageSid", "").strip() or None,
        raw=raw,
    )


@dataclass(frozen=True)
class StatusReport:
    """One status callback: which message, what happened, and Twilio's error code if any."""

    message_sid: str
    status: str
    error_code: str | None
    raw: dict[str, str]


def parse_status(form: Form) -> StatusReport:
    check_storable(form)
    status = require(form, "MessageStatus").lower()
    if status not in STATUSES:
        raise InvalidWebhook(f"unknown MessageStatus {status!r}")
    return StatusReport(parse_sid(form, "MessageSid"), status, parse_error_code(form),
                        dict(form.multi_items()))
