"""The text of a mail (plain, else HTML turned to text) and its attachments, per MIME part."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from channels.base import Attachment
from channels.email.charsets import decode_text, known
from channels.email.headers import raw_header, unescape_raw
from channels.email.html_text import html_to_text

RAW_NAME = re.compile(r'(?:file)?name\s*=\s*("?)([^";\r\n]+)\1', re.IGNORECASE)


@dataclass(frozen=True)
class Body:
    text: str
    html_only: bool
    attachments: tuple[Attachment, ...]
    charset: str | None


def extract_body(msg: Message) -> Body:
    """Plain parts joined; HTML only when no plain part has text; the rest are attachments."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for index, part in enumerate(msg.walk()):
        if part.is_multipart():
            continue
        kind = classify(part)
        if kind == "attachment":
            attachments.append(to_attachment(part, index))
        elif kind == "text/plain":
            plain.append(part_text(part))
        elif kind == "text/html":
            html.append(part_text(part))
    text = "\n\n".join(t.strip() for t in plain if t.strip())
    html_only = not text and bool(html)
    if html_only:
        text = "\n\n".join(html_to_text(h) for h in html).strip()
    return Body(text=text, html_only=html_only, attachments=tuple(attachments),
                charset=first_charset(msg))


def classify(part: Message) -> str:
    """'text/plain', 'text/html' (inline body text), 'attachment', or 'skip'."""
    ctype = part.get_content_type()
    disposition = safe(part.get_content_disposition)
    if disposition == "attachment" or (filename_of(part) and ctype not in (
            "text/plain", "text/html")):
        return "attachment"
    if ctype in ("text/plain", "text/html"):
        return "attachment" if filename_of(part) and disposition != "inline" else ctype
    if ctype.startswith("multipart/") or ctype in ("message/delivery-status",):
        return "skip"
    return "attachment"


def safe(call: object) -> str | None:
    try:
        return call()  # type: ignore[operator,no-any-return]
    except Exception:  # a malformed parameter must not stop the parse
        return None


def filename_of(part: Message) -> str | None:
    """The attachment's name: RFC 2231 and encoded-word forms decoded; None when unnamed."""
    name = safe(part.get_filename)
    if name and "\ufffd" in str(name):
        name = raw_filename(part) or name
    if not name:
        return None
    return " ".join(unescape_raw(str(name)).split()) or None


def raw_filename(part: Message) -> str | None:
    """A name sent as raw 8-bit bytes: decoded with the best charset guess."""
    for header in ("Content-Disposition", "Content-Type"):
        match = RAW_NAME.search(raw_header(part, header) or "")
        if match:
            return unescape_raw(match.group(2), first_charset(part))
    return None


def to_attachment(part: Message, index: int) -> Attachment:
    ctype = part.get_content_type()
    payload = safe(lambda: part.get_payload(decode=True))
    size = len(payload) if isinstance(payload, bytes) else None
    name = filename_of(part) or f"part-{index}.{ctype.split('/')[-1]}"
    return Attachment(filename=name, content_type=ctype, size=size)


def part_text(part: Message) -> str:
    payload = safe(lambda: part.get_payload(decode=True))
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    text = decode_text(payload, safe(part.get_content_charset))
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


def first_charset(msg: Message) -> str | None:
    """The first charset a part declares: the best guess for raw 8-bit headers."""
    for part in msg.walk():
        charset = known(safe(part.get_content_charset))
        if charset:
            return charset
    return None
