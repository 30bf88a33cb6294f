"""The inbound entry point both transports call: prepare, then store-and-route customers' mail."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool

from bot.engine.inbox import Accepted
from bot.engine.pipeline import accept_then_route, route_stored, store
from channels.base import StoreUnavailable, UnparseableEmail
from channels.email.ingest import EmailIngest, Envelope, Outcome

if TYPE_CHECKING:
    from bot.app import Runtime

log = logging.getLogger(__name__)
# The database is down, locked, hung or out of connections: the mail is fine, so the sender
# must try again (SMTP 451, IMAP keeps it) rather than have it quarantined.
TRANSIENT = (OperationalError, InterfaceError, PoolTimeout, StoreUnavailable)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT) or bool(getattr(exc, "connection_invalidated", False))


class EmailService:
    """Every mail is durable (message, flag or quarantine) when these methods return."""

    def __init__(self, runtime: Runtime, key: bytes) -> None:
        self.runtime = runtime
        self.ingest = EmailIngest(runtime, key)
        self.unrouted: list[Accepted] = []
        self.ingest.settle = self.route_stored   # a thread or an agent's reply: in mail order

    async def receive(self, raw: bytes, envelope: Envelope, source: str) -> Outcome:
        """For the SMTP server: routing of customers' mail continues in the background."""
        try:
            outcome = await run_in_threadpool(self.ingest.prepare, raw, envelope, source)
            if outcome.kind == "customer" and outcome.inbound is not None:
                is_new = await accept_then_route(self.runtime.factory, self.runtime.ctx,
                                                 outcome.inbound)
                outcome = outcome if is_new else replace(outcome, kind="duplicate")
        except Exception as exc:
            return await run_in_threadpool(self.keep_unstorable, raw, source, exc, envelope)
        return outcome

    def keep_unstorable(self, raw: bytes, source: str, exc: Exception,
                        envelope: Envelope) -> Outcome:
        """A mail that parsed but could not be stored goes to quarantine with the reason, so one
        bad mail neither blocks the mailbox nor is lost. If even that fails (the database is
        down), the error propagates: SMTP answers 451, IMAP keeps the mail for the next pass.
        A transient database error propagates at once: the mail is not at fault."""
        if is_transient(exc):
            log.error("mail from %s not stored, the database is unavailable: %s", source, exc)
            raise exc
        log.error("mail from %s could not be stored; quarantining it", source, exc_info=exc)
        cause = getattr(exc, "orig", None) or exc  # the driver's words, not the SQL statement
        first_line = (str(cause).strip().splitlines() or [""])[0]
        try:
            return self.ingest.quarantine(
                raw, source, f"could not be stored: {type(cause).__name__}: {first_line}",
                envelope)
        except Exception:
            raise exc from None

    def receive_sync(self, raw: bytes, envelope: Envelope, source: str,
                     keep_failures: bool = True) -> Outcome:
        """Stored, then routed here; a routing failure stays stored (the scheduler retries it).

        With `keep_failures=False` (quarantine replay) an unparseable mail raises instead.
        """
        outcome = self.store_sync(raw, envelope, source, keep_failures)
        self.route_stored()
        return outcome

    def store_sync(self, raw: bytes, envelope: Envelope, source: str,
                   keep_failures: bool = True) -> Outcome:
        """For the IMAP poller thread: durable when it returns; a customer's new mail waits
        in `unrouted` for `route_stored` (the poller routes each fetched chunk together)."""
        try:
            outcome = self.ingest.prepare(raw, envelope, source, keep_failures)
            if outcome.kind != "customer" or outcome.inbound is None:
                return outcome
            accepted = store(self.runtime.factory, self.runtime.ctx, outcome.inbound)
        except UnparseableEmail:
            raise  # only with keep_failures=False: the replay reports it
        except Exception as exc:
            if not keep_failures:
                raise
            return self.keep_unstorable(raw, source, exc, envelope)
        if not accepted.is_new:
            return replace(outcome, kind="duplicate", record_id=accepted.message_id)
        self.unrouted.append(accepted)
        return replace(outcome, record_id=accepted.message_id)

    def route_stored(self) -> None:
        """Route the mail `store_sync` stored, several per transaction; never raises (a
        failure is logged and the message stays stored, marked for the retry job)."""
        waiting, self.unrouted = self.unrouted, []
        route_stored(self.runtime.factory, self.runtime.ctx, waiting)
