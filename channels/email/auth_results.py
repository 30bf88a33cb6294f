"""Authentication-Results (RFC 8601): did a trusted receiving server see DMARC pass?"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

RESULT = re.compile(r"(?:^|;)\s*dmarc\s*=\s*([a-z]+)\b([^;]*)", re.IGNORECASE)
HEADER_FROM = re.compile(r"\bheader\.from\s*=\s*\"?([^\s;\"]+)", re.IGNORECASE)
COMMENT = re.compile(r"\([^()]*\)")


def authserv_id(value: str) -> str:
    """The first token of the header: the server that wrote it ("mx.example.com")."""
    head = COMMENT.sub(" ", value).split(";", 1)[0].strip()
    return head.split()[0].lower() if head else ""


def dmarc_result(value: str) -> tuple[str, str | None] | None:
    """(result, header.from domain or None) of the dmarc method in one header value."""
    match = RESULT.search(COMMENT.sub(" ", value))
    if match is None:
        return None
    domain = HEADER_FROM.search(match.group(2))
    return match.group(1).lower(), domain.group(1).lower().strip(".") if domain else None


def is_dmarc_pass(headers: Iterable[str], trusted_ids: Collection[str],
                  from_address: str) -> bool:
    """Whether an Authentication-Results header written by one of `trusted_ids` says
    dmarc=pass with header.from the From address's domain.

    Only the receiving server's own headers count: it must remove any that arrive with its
    authserv-id (RFC 8601 §5), or a sender could write one itself.
    """
    trusted = {item.lower() for item in trusted_ids}
    domain = from_address.rpartition("@")[2].lower().strip(".")
    for value in headers:
        if authserv_id(value) not in trusted:
            continue
        found = dmarc_result(value)
        if found is not None and found == ("pass", domain):
            return True
    return False
