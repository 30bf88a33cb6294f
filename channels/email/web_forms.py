"""Contact-form mail: sent by a form (often from no-reply@) for a person named in Reply-To.

Such a mail is that person's message, not an automatic one: when it comes from a configured
form sender, or from a no-reply sender whose only automatic trait is that address, with a
person's address in Reply-To.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from channels.email.loops import BOUNCE_LOCAL_PARTS, NO_REPLY
from channels.email.parse import ParsedEmail

NO_REPLY_REASON = "no-reply sender"


@dataclass(frozen=True)
class FormPerson:
    address: str
    name: str | None


def form_person(parsed: ParsedEmail, form_senders: Collection[str]) -> FormPerson | None:
    """The person a form mail speaks for, or None when it is not a form mail."""
    person = parsed.reply_to
    if not person or person == parsed.sender or not is_human_address(person):
        return None
    configured = parsed.sender in {address.lower() for address in form_senders}
    if configured or set(parsed.automated) == {NO_REPLY_REASON}:
        return FormPerson(person, parsed.reply_to_name)
    return None


def is_human_address(address: str) -> bool:
    local = address.partition("@")[0].lower()
    return bool(local) and "@" in address and not NO_REPLY.match(local) and (
        local not in BOUNCE_LOCAL_PARTS)
