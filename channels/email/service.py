"""The inbound entry point both transports call: prepare, then store-and-route customers' mail."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool

from bot.pipeline import accept_then_route, process_message, store
from channels.email.ingest import EmailIngest, Envelope, Outcome

if TYPE_CHECKING:
    from bot.app import Runtime

log = logging.getLogger(__name__)


class EmailService:
    """Every mail is durable (message, flag or quarantine) when these methods return."""

    def __init__(self, runtime: Runtime, key: bytes) -> None:
        self.runtime = runtime
        self.ingest = EmailIngest(runtime, key)

    async def receive(self, raw: bytes, envelope: Envelope, source: str) -> Outcome:
        """For the SMTP server: routing of customers' mail continues in the background."""
        outcome = await run_in_threadpool(self.ingest.prepare, raw, envelope, source)
        if outcome.kind == "customer" and outcome.inbound is not None:
            is_new = await accept_then_route(self.runtime.factory, self.runtime.ctx,
                                             outcome.inbound)
            outcome = outcome if is_new else replace(outcome, kind="duplicate")
        return outcome

    def receive_sync(self, raw: bytes, envelope: Envelope, source: str,
                     keep_failures: bool = True) -> Outcome:
        """For the IMAP poller thread: stored, then routed here; a routing failure stays stored.

        With `keep_failures=False` (quarantine replay) an unparseable mail raises instead.
        """
        outcome = self.ingest.prepare(raw, envelope, source, keep_failures)
        if outcome.kind != "customer" or outcome.inbound is None:
            return outcome
        accepted = store(self.runtime.factory, self.runtime.ctx, outcome.inbound)
        if not accepted.is_new:
            return replace(outcome, kind="duplicate", record_id=accepted.message_id)
        try:
            process_message(self.runtime.factory, self.runtime.ctx, accepted.message_id)
        except Exception:  # logged and marked failed; the scheduler retries it
            log.warning("message %s stored; routing failed and will be retried",
                        accepted.message_id)
        return replace(outcome, record_id=accepted.message_id)
