"""The inbound entry point every mail takes (SMTP, IMAP, quarantine replay): read it, hand it to
the engine through the sink, and quarantine what cannot be read or stored."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool

from channels.base import (
    Handled,
    InboundMessage,
    InboundSink,
    StoreUnavailable,
    UnparseableEmail,
)
from channels.email.ingest import Envelope, MailReader

log = logging.getLogger(__name__)
# The database is down, locked, hung or out of connections: the mail is fine, so the sender
# must try again (SMTP 451, IMAP keeps it) rather than have it quarantined.
TRANSIENT = (OperationalError, InterfaceError, PoolTimeout, StoreUnavailable)


def is_transient(exc: BaseException | None) -> bool:
    """Whether `exc` (or what caused it) says the database is unavailable for now."""
    while exc is not None:
        if isinstance(exc, TRANSIENT) or getattr(exc, "connection_invalidated", False):
            return True
        exc = exc.__cause__
    return False


@dataclass(frozen=True)
class Outcome:
    """quarantined | duplicate | customer | automated | agent_relayed | agent_flagged |
    received (stored; the engine routes it later)."""

    kind: str
    detail: str = ""
    record_id: int | None = None


@dataclass(frozen=True)
class Mail:
    """One mail as it came in: the bytes, the SMTP envelope and where from."""

    raw: bytes
    envelope: Envelope
    source: str


class MailIntake:
    """Every mail is durable (stored, or quarantined) when these methods return."""

    def __init__(self, sink: InboundSink, reader: MailReader) -> None:
        self.sink = sink
        self.reader = reader

    async def receive(self, raw: bytes, envelope: Envelope, source: str) -> Outcome:
        """For the SMTP server: stored and handled before the 250; raises only when the mail
        could be neither stored nor quarantined (the server answers 451)."""
        [outcome] = await run_in_threadpool(self.receive_all, [Mail(raw, envelope, source)])
        return outcome

    def receive_sync(self, raw: bytes, envelope: Envelope, source: str,
                     keep_failures: bool = True) -> Outcome:
        """One mail, in a worker thread. With `keep_failures=False` (quarantine replay) an
        unreadable or unstorable mail raises instead of going to quarantine."""
        [outcome] = self.receive_all([Mail(raw, envelope, source)], keep_failures)
        return outcome

    def receive_all(self, mails: Sequence[Mail], keep_failures: bool = True) -> list[Outcome]:
        """Several mails (an IMAP chunk): each read and stored, then handled together, in order."""
        read: list[InboundMessage | Outcome] = [self.read(mail, keep_failures) for mail in mails]
        inbound = [item for item in read if isinstance(item, InboundMessage)]
        handled = iter(self.sink.handle_now(inbound) if inbound else [])
        outcomes = []
        for mail, item in zip(mails, read, strict=True):
            outcomes.append(item if isinstance(item, Outcome) else self.settle(
                mail, next(handled), keep_failures))
        return outcomes

    def read(self, mail: Mail, keep_failures: bool) -> InboundMessage | Outcome:
        try:
            return self.reader.read(mail.raw, mail.envelope)
        except UnparseableEmail as exc:
            if not keep_failures:
                raise
            return self.quarantine(mail, str(exc))

    def settle(self, mail: Mail, handled: Handled, keep_failures: bool) -> Outcome:
        if handled.error is None:
            return Outcome(handled.outcome)
        if not keep_failures:
            raise handled.error
        return self.keep_unstorable(mail, handled.error)

    def keep_unstorable(self, mail: Mail, exc: Exception) -> Outcome:
        """A mail that parsed but could not be stored goes to quarantine with the reason, so one
        bad mail neither blocks the mailbox nor is lost. If even that fails (the database is
        down), the error propagates: SMTP answers 451, IMAP keeps the mail for the next pass.
        A transient database error propagates at once: the mail is not at fault."""
        if is_transient(exc):
            log.error("mail from %s not stored, the database is unavailable: %s", mail.source, exc)
            raise exc
        log.error("mail from %s could not be stored; quarantining it", mail.source, exc_info=exc)
        cause = exc.__cause__ or exc
        cause = getattr(cause, "orig", None) or cause   # the driver's words, not the SQL
        first_line = (str(cause).strip().splitlines() or [""])[0]
        try:
            return self.quarantine(
                mail, f"could not be stored: {type(cause).__name__}: {first_line}")
        except Exception:
            raise exc from None

    def quarantine(self, mail: Mail, reason: str) -> Outcome:
        """Keep the bytes, the reason and the SMTP envelope, for `atiende quarantine replay`."""
        item_id = self.sink.quarantine(mail.source, reason[:2000], mail.raw,
                                       mail.envelope.to_record())
        log.warning("quarantined mail %s from %s: %s", item_id, mail.source, reason)
        return Outcome("quarantined", reason, record_id=item_id)
