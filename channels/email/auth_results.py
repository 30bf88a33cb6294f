"""Authentication-Results (RFC 8601): did a trusted receiving server see DMARC pass?"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from channels.base import DmarcResult

RESULT = re.compile(r"(?:^|;)\s*dmarc\s*=\s*([a-z]+)\b([^;]*)", re.IGNORECASE)
HEADER_FROM = re.compile(r"\bheader\.from\s*=\s*\"?([^\s;\"]+)", re.IGNORECASE)
COMMENT = re.compile(r"\([^()]*\)")
MAX_HEADERS = 20        # a mail may carry many; only the receiving servers' few matter
MAX_HEADER_CHARS = 4096


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


def parse_dmarc_results(values: Iterable[str]) -> tuple[DmarcResult, ...]:
    """The DMARC verdicts of a mail's Authentication-Results header values, in header order
    (the newest, the receiving server's own, first); at most MAX_HEADERS are read."""
    found: list[DmarcResult] = []
    for value in values:
        if len(found) == MAX_HEADERS:
            break
        found.append(parse_one(" ".join(value[:MAX_HEADER_CHARS].split())))
    return tuple(found)


def parse_one(value: str) -> DmarcResult:
    found = dmarc_result(value)
    return DmarcResult(authserv_id(value), *(found or (None, None)))


def has_dmarc_pass(results: Iterable[DmarcResult], trusted_ids: Collection[str],
                   from_address: str) -> bool:
    """Whether one of `results` written by a trusted authserv-id says dmarc=pass for the
    From address's domain."""
    trusted = {item.strip().lower() for item in trusted_ids}
    domain = from_address.rpartition("@")[2].lower().strip(".")
    return any(item.authserv_id in trusted and item.result == "pass"
               and item.header_from == domain for item in results)


def is_dmarc_pass(headers: Iterable[str], trusted_ids: Collection[str],
                  from_address: str) -> bool:
    """Whether an Authentication-Results header written by one of `trusted_ids` says
    dmarc=pass with header.from the From address's domain.

    Only the receiving server's own headers count: it must remove any that arrive with its
    authserv-id (RFC 8601 §5), or a sender could write one itself.
    """
    return has_dmarc_pass((parse_one(value) for value in headers), trusted_ids, from_address)
