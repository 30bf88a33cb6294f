"""Raw RFC 822 bytes → ParsedEmail with the stdlib parser (policy.default), defects tolerated."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from functools import lru_cache
from typing import Any

from channels.base import Attachment, DmarcResult, UnparseableEmail
from channels.email.auth_results import parse_dmarc_results
from channels.email.body import extract_body
from channels.email.headers import addresses, header_text, message_ids, raw_headers
from channels.email.loops import automated_reasons
from channels.email.quotes import latest_reply
from channels.email.repair import MBOX_FROM, repair_header_block

MAX_ID_LENGTH = 200
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


class MemoPolicy(EmailPolicy):
    """policy.default, with parsed header objects memoised: the same raw header (name and
    value) always parses the same, and the MIME helpers re-parse Content-Type many times."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        return memo_header(name, value)


POLICY = MemoPolicy()


@lru_cache(maxsize=8192)
def memo_header(name: str, value: str) -> Any:
    return EmailPolicy.header_fetch_parse(POLICY, name, value)


@dataclass(frozen=True)
class ParsedEmail:
    dedupe_key: str                 # the Message-ID, else sha256 of the raw bytes
    message_id: str | None
    sender: str                     # addr-spec, lower case; '' when there is none
    sender_name: str | None
    recipients: tuple[str, ...]
    reply_to: str | None
    subject: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str                       # the whole body as text
    reply_text: str                 # the newest part: quotes and marked signature removed
    html_only: bool
    attachments: tuple[Attachment, ...]
    automated: tuple[str, ...]      # loop-brake reasons; empty for a person's mail
    size: int
    reply_to_name: str | None = None
    dmarc_results: tuple[DmarcResult, ...] = ()   # Authentication-Results, newest first


def parse_email(raw: bytes, is_own_address: Callable[[str], bool] = lambda _a: False,
                envelope_sender: str | None = None, max_bytes: int | None = None,
                max_text_chars: int = 100_000) -> ParsedEmail:
    """Parse one message; raise UnparseableEmail with a reason when it cannot be read."""
    check_shape(raw, max_bytes)
    try:
        msg = BytesParser(policy=POLICY).parsebytes(repair_header_block(raw))
    except Exception as exc:  # the parser is lenient; anything it raises is fatal for this mail
        raise UnparseableEmail(f"MIME parser failed: {type(exc).__name__}: {exc}") from exc
    try:
        return build(msg, raw, is_own_address, envelope_sender, max_text_chars)
    except UnparseableEmail:
        raise
    except Exception as exc:
        raise UnparseableEmail(f"cannot read the message: {type(exc).__name__}: {exc}") from exc


def check_shape(raw: bytes, max_bytes: int | None) -> None:
    if not raw.strip():
        raise UnparseableEmail("empty message")
    if max_bytes is not None and len(raw) > max_bytes:
        raise UnparseableEmail(f"message of {len(raw)} bytes is over the {max_bytes}-byte limit")
    first = repair_header_block(raw[:8192]).split(b"\n", 1)[0]
    if b":" not in first and not MBOX_FROM.match(first):
        raise UnparseableEmail("no header section (the first line is not a header)")


def build(msg: Message, raw: bytes, is_own_address: Callable[[str], bool],
          envelope_sender: str | None, max_text_chars: int) -> ParsedEmail:
    body = extract_body(msg)
    senders = addresses(msg, "From") or addresses(msg, "Reply-To", "Sender", "Return-Path")
    name, sender = senders[0] if senders else ("", "")
    subject = header_text(msg, "Subject", body.charset)
    ids = message_ids(msg, "Message-ID")
    text = body.text[:max_text_chars]
    reply_to = addresses(msg, "Reply-To")
    return ParsedEmail(
        dedupe_key=dedupe_key(ids[0] if ids else None, raw), message_id=ids[0] if ids else None,
        sender=sender, sender_name=name or None,
        recipients=tuple(dict.fromkeys(a for _, a in addresses(msg, *RECIPIENT_HEADERS))),
        reply_to=reply_to[0][1] if reply_to else None, subject=subject,
        in_reply_to=message_ids(msg, "In-Reply-To"), references=message_ids(msg, "References"),
        text=text, reply_text=latest_reply(text), html_only=body.html_only,
        attachments=body.attachments,
        automated=automated_reasons(msg, sender, subject, is_own_address, envelope_sender),
        size=len(raw), reply_to_name=(reply_to[0][0] or None) if reply_to else None,
        dmarc_results=parse_dmarc_results(raw_headers(msg, "Authentication-Results")),
    )


def dedupe_key(message_id: str | None, raw: bytes) -> str:
    """The Message-ID when it is usable; a hash of the exact bytes otherwise."""
    if message_id and len(message_id) <= MAX_ID_LENGTH and "@" in message_id:
        return message_id
    return "sha256:" + hashlib.sha256(raw).hexdigest()
