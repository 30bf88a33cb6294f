"""Our addresses: the support address, its plus forms and the signed per-ticket reply address."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

TICKET_TAG = re.compile(r"^t(\d{1,12})(?:\.([a-z0-9]{1,64}))?$", re.IGNORECASE)
SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]")
ADDRESS_LIKE = re.compile(r"[^\s<>()\"',;:@]+@[^\s<>()\"',;:@]+\.[^\s<>()\"',;:@]+")


@dataclass(frozen=True)
class ReplyClaim:
    """A recipient like support+t123.<sig>@domain: ticket 123, signature as written."""

    ticket_number: int
    signature: str


def split(address: str) -> tuple[str, str, str]:
    """'soporte+t1.ab@Example.com' → ('soporte', 't1.ab', 'example.com')."""
    local, _, domain = address.strip().rpartition("@")
    base, _, tag = local.partition("+")
    return base.lower(), tag, domain.lower()


def is_own_address(address: str, support_address: str) -> bool:
    """The support address itself or any plus form of it."""
    base, _, domain = split(address)
    own_base, _, own_domain = split(support_address)
    return bool(base) and (base, domain) == (own_base, own_domain)


def reply_address(support_address: str, number: int, signature: str) -> str:
    base, _, domain = split(support_address)
    return f"{base}+t{number}.{signature}@{domain}"


def find_reply_claim(recipients: Iterable[str], support_address: str) -> ReplyClaim | None:
    """The first recipient that is one of our per-ticket reply addresses (signed or not)."""
    for address in recipients:
        if not is_own_address(address, support_address):
            continue
        match = TICKET_TAG.match(split(address)[1])
        if match:
            return ReplyClaim(int(match.group(1)), (match.group(2) or "").lower())
    return None


def subject_ticket(subject: str) -> int | None:
    """The ticket number in a '[#123]' subject tag, if any."""
    match = SUBJECT_TAG.search(subject)
    return int(match.group(1)) if match else None


def domain_of(address: str) -> str:
    return split(address)[2] or "localhost"


def redact(address: str) -> str:
    """For logs: 'ana.perez@example.com' → 'a***@example.com'."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def is_impersonating(display_name: str | None, address: str) -> bool:
    """A display name that looks like an address other than the real one ("ana@example.com"
    <x@elsewhere>): mail clients show the name, so a reader would take it for Ana."""
    found = ADDRESS_LIKE.findall(display_name or "")
    real = address.strip().lower()
    return any(candidate.strip(".").lower() != real for candidate in found)
