"""Header values that never raise: encoded words, raw 8-bit bytes and broken addresses."""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parseaddr

from channels.email.charsets import decode_text, guess_decode

MESSAGE_ID_RE = re.compile(r"<([^<>\s]+)>")
BARE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")  # 'MAILER-DAEMON (Mail Delivery System)'
LOOSE_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?(.*?)\?=", re.DOTALL)
ADDR_SPEC_RE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*", re.UNICODE)


def unescape_raw(value: str, preferred: str | None = None) -> str:
    """Undo the parser's surrogate escapes for raw 8-bit header bytes."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return guess_decode(value.encode("utf-8", "surrogateescape"), preferred)


def header_text(msg: Message, name: str, preferred: str | None = None) -> str:
    """The decoded value of header `name` ('' when absent), whatever its defects."""
    raw = raw_header(msg, name)
    return "" if raw is None else " ".join(header_value(raw, preferred).split())


def raw_header(msg: Message, name: str) -> str | None:
    """The header's raw string as received (no policy parsing, which may raise)."""
    lowered = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == lowered:
            return str(value)
    return None


def raw_headers(msg: Message, name: str) -> list[str]:
    lowered = name.lower()
    return [str(value) for key, value in msg.raw_items() if key.lower() == lowered]


def addresses(msg: Message, *names: str) -> list[tuple[str, str]]:
    """(display name, addr-spec lowercased) for every address in these headers.

    The addresses come from the raw header; only display names are decoded afterwards. An
    encoded word is decoration (RFC 2047 forbids it in an address): decoding first would let
    `=?utf-8?q?agent=40example.com?= <x@elsewhere>` pass for the agent.
    """
    found: list[tuple[str, str]] = []
    for name in names:
        for raw in raw_headers(msg, name):
            found.extend((" ".join(header_value(display).split()), address)
                          for display, address in parse_address_list(unescape_raw(raw)))
    return found


def header_value(raw: str, preferred: str | None = None) -> str:
    """Decode RFC 2047 encoded words (any charset label) and raw 8-bit bytes."""
    value = unescape_raw(raw, preferred)
    try:
        chunks = decode_header(value)
    except (ValueError, AssertionError):
        return value
    parts = [chunk if isinstance(chunk, str) else decode_text(chunk, charset or preferred)
             for chunk, charset in chunks]
    if not any(charset for _, charset in chunks):
        return decode_loose_words(value, preferred) if "=?" in value else value
    return "".join(parts)


def decode_loose_words(value: str, preferred: str | None) -> str:
    """Encoded words that break the rules (spaces inside) still decode, as mail clients do."""

    def decode(match: re.Match[str]) -> str:
        charset, encoding, data = match.groups()
        data = " ".join(data.split())
        try:
            if encoding.upper() == "B":
                raw = base64.b64decode(data + "=" * (-len(data) % 4))
            else:
                raw = quopri.decodestring(data.replace("_", " ").encode("latin-1"), header=True)
        except (ValueError, UnicodeEncodeError, binascii.Error):
            return match.group()
        return decode_text(raw, charset or preferred)

    return LOOSE_WORD.sub(decode, value)


def parse_address_list(value: str) -> list[tuple[str, str]]:
    """Parse an address header; addresses the strict parser misses are found by pattern."""
    pairs = [(name, addr) for name, addr in getaddresses([value]) if "@" in addr]
    if pairs and all(is_plausible(addr) for _, addr in pairs):
        return [(" ".join(name.split()), clean_address(addr)) for name, addr in pairs]
    name, _addr = parseaddr(value)
    found = ADDR_SPEC_RE.findall(value.replace('"', " "))
    if found:
        return [(name if "@" not in name else "", clean_address(found[-1]))]
    bare = value.split("(")[0].strip().strip('"<>').strip()
    return [(name, bare.lower())] if BARE_NAME.match(bare) else []


def is_plausible(addr: str) -> bool:
    local, _, domain = addr.rpartition("@")
    quoted = len(local) > 1 and local[0] == local[-1] == '"'
    return bool(local) and "." in domain.strip(".") and (quoted or " " not in addr)


def clean_address(addr: str) -> str:
    addr = addr.strip().strip("<>").rstrip(".")
    if len(addr) > 1 and addr[0] == addr[-1] and addr[0] in "\"'":
        addr = addr[1:-1]
    return addr.lower()


def message_ids(msg: Message, name: str) -> tuple[str, ...]:
    """Message-IDs in a header (In-Reply-To, References), without angle brackets."""
    found: list[str] = []
    for raw in raw_headers(msg, name):
        value = unescape_raw(raw)
        ids = MESSAGE_ID_RE.findall(value) or value.split()
        found.extend(item.strip("<>") for item in ids if item.strip("<>"))
    return tuple(dict.fromkeys(found))
