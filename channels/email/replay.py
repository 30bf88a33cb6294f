"""Replay a quarantined mail through the email channel, with the SMTP envelope it came with;
mark it replayed when it went through."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.desk.relay import signing_key
from bot.store.db import transaction
from bot.store.models import QuarantineItem
from channels.email.ingest import Envelope
from channels.email.service import EmailService

if TYPE_CHECKING:
    from bot.app import Runtime


def replay_item(runtime: Runtime, item_id: int) -> str:
    """The outcome kind ('customer', 'automated', 'duplicate', …); UnparseableEmail if still bad."""
    with runtime.factory() as session:
        item = session.get(QuarantineItem, item_id)
        assert item is not None
        raw, source, envelope = item.raw, item.source, Envelope.from_record(item.envelope)
    service = EmailService(runtime, signing_key(runtime.factory))
    outcome = service.receive_sync(raw, envelope, source, keep_failures=False)
    with transaction(runtime.factory) as session:
        stored = session.get(QuarantineItem, item_id)
        assert stored is not None
        stored.replayed_at = runtime.clock.now()
    return outcome.kind
