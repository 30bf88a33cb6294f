"""Did Twilio take a message before we crashed? Ask its Messages list (no idempotency keys).

Twilio's Messages API takes no idempotency key and its Message resource does not echo our
StatusCallback URL, so an attempt whose outcome is unknown is matched on what Twilio does
show: a message from our sender to the same recipient, created since the attempt was claimed
(less a small allowance for clock skew), with the same body (a content template's body is
rendered by Twilio, so for a template any message in that window counts).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from channels.base import OutboundMessage

if TYPE_CHECKING:
    from twilio.rest import Client

CLOCK_SKEW = timedelta(seconds=5)
LOOKUP_LIMIT = 50   # the recipient's most recent messages from us (newest first)


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


async def find_sent(client: Client, message: OutboundMessage, sender: str,
                    content: dict[str, str]) -> str | None:
    """The SID of a message Twilio took for this part since `message.resume_after`, if any
    (Twilio's errors are raised as they come: the caller turns them into a DeliveryError)."""
    assert message.resume_after is not None
    since = as_utc(message.resume_after) - CLOCK_SKEW
    recent = await client.messages.list_async(to=message.recipient, from_=sender,
                                              limit=LOOKUP_LIMIT)
    body = content.get("body")
    for found in recent:
        created = found.date_created
        if created is None or as_utc(created) < since:
            continue
        if body is None or found.body == body:
            return str(found.sid)
    return None
