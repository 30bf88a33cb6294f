"""Signed per-ticket reply addresses (support+t<number>.<sig>@domain): sign and verify.

The key is the deployment's secret (`ChannelContext.secret_key`); only mail sent to an address
this key signed can prove which ticket it answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from channels.email.addresses import find_reply_claim, reply_address

SIGNATURE_CHARS = 16


@dataclass(frozen=True)
class TicketClaim:
    """The ticket a mail's recipient address names, and whether its signature proves it."""

    ticket_number: int
    verified: bool


def sign_ticket(key: bytes, number: int) -> str:
    """The signature in support+t<number>.<sig>@…: 80 bits of HMAC-SHA256, base32, lower case."""
    digest = hmac.new(key, f"ticket:{number}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:SIGNATURE_CHARS]


def is_valid_signature(key: bytes, number: int, signature: str) -> bool:
    return bool(signature) and hmac.compare_digest(sign_ticket(key, number), signature.lower())


def signed_reply_address(key: bytes, support_address: str, number: int) -> str:
    return reply_address(support_address, number, sign_ticket(key, number))


def ticket_claim(key: bytes, recipients: Iterable[str], support_address: str) -> TicketClaim | None:
    """The first per-ticket reply address among the recipients, checked against the key."""
    claim = find_reply_claim(recipients, support_address)
    if claim is None:
        return None
    return TicketClaim(claim.ticket_number,
                       is_valid_signature(key, claim.ticket_number, claim.signature))
