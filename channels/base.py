"""Channel contract — what an adapter may use, and the guide to adding a channel.

An adapter translates and decides nothing, and imports nothing from `bot/`:

1. Inbound: turn the provider's payload into one frozen `InboundMessage` (the raw payload beside
   it, the provider's message id as `provider_message_id`, the dedupe key) and give it to
   `context.sink.accept` (a worker thread: `accept_now`), which stores it before anything else
   happens and hands it to the engine. Then acknowledge the provider; `StoreUnavailable` means
   "ask the provider to retry" (HTTP 503). Validate at the edge and raise `InvalidWebhook` with
   a reason; authentic but unusable input goes to `sink.quarantine`.
2. Outbound: implement `Channel.send(OutboundMessage) -> DeliveryReceipt`. Only the outbox
   dispatcher calls it. Degrade buttons and media to text when the provider cannot show them;
   raise `DeliveryError(transient=...)` on failure, `DeliveryHeld` when it may not send now.
   A provider's later word on a message (delivered, failed…) goes to `sink.record_delivery` as
   a `DeliveryUpdate`.

A served channel is built by a factory `build_plugin(section, context) -> ChannelPlugin`
(channels/registry.py): `section` is its own config sub-model (a `ChannelSection`, None when
config.yaml has no `channels.<name>`), `context` a `ChannelContext` (the sink, the clock, the
public URL, a data folder, small state, cross-worker locks, the environment). Secrets come from
`context.environ`, never from config.yaml.

Adding a channel `<name>` touches exactly:

- `channels/<name>/` (or `channels/<name>.py`): the adapter, its `config.py` (the sub-model) and
  `build_plugin` — see channels/whatsapp/ and channels/telegram/;
- `channels/registry.py`: one line in `CHANNELS`, `"<name>": ChannelEntry(
  "channels.<name>.plugin:build_plugin", "channels.<name>.config:<Name>Config")` — the config
  root composes config.yaml's `channels:` from this table, so `channels.<name>` is validated;
- tests in `tests/channels/` (a fake of the provider's API in `tests/fakes/` if it has one);
- README.md: its part of "Channel setup".

Nothing in the engine, the store or `atiende serve` changes. The smallest adapter is
channels/console.py: a name, the address rule, `console_message` and `send` (`atiende chat`
builds it directly and gives its lines to the same sink: a terminal needs no server).

The sender address is the contact's stable identity (`whatsapp:+57…`, `telegram:12345`, an
email address, `console:ana`); display names are decoration.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from channels.rate_limits import RateLimiter


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int | None = None
    url: str | None = None
    data: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class DmarcResult:
    """One mail's Authentication-Results header, its DMARC part: who wrote it, what it saw."""

    authserv_id: str          # the server that wrote the header, lower case
    result: str | None        # "pass", "fail", "none"…; None when it has no dmarc method
    header_from: str | None   # the From domain the verdict is about

    def to_record(self) -> dict[str, str | None]:
        return {"authserv_id": self.authserv_id, "dmarc": self.result,
                "header_from": self.header_from}

    @classmethod
    def from_record(cls, record: object) -> DmarcResult | None:
        if not isinstance(record, dict):
            return None
        values = [record.get(key) for key in ("authserv_id", "dmarc", "header_from")]
        if not all(value is None or isinstance(value, str) for value in values):
            return None
        return cls(values[0] or "", values[1], values[2])


@dataclass(frozen=True)
class InboundMessage:
    channel: str
    provider_message_id: str
    sender: str
    text: str
    received_at: datetime
    sender_name: str | None = None
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None
    language_hint: str | None = None
    is_automated: bool = False
    subject: str | None = None
    ticket_number: int | None = None  # the ticket it says it continues (a mail's reply address)
    claim_verified: bool = False       # a signature proves that claim (the engine still judges)
    in_reply_to: tuple[str, ...] = ()  # provider ids of the messages it answers (mail threads)
    references: tuple[str, ...] = ()   # provider ids of its thread, oldest first
    automated_reasons: tuple[str, ...] = ()   # why it is automated (bounce, auto-reply, list…)
    dmarc_results: tuple[DmarcResult, ...] = ()  # a mail's Authentication-Results, newest first
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class OutboundMessage:
    channel: str
    recipient: str
    text: str
    buttons: tuple[str, ...] = ()
    kind: str = "reply"
    ticket_number: int | None = None
    outbox_id: int | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # An earlier attempt, claimed at this time, stopped with its outcome unknown (the process
    # died mid-send): a channel that `looks_up_sends` first asks the provider what it took.
    resume_after: datetime | None = None


@dataclass(frozen=True)
class DeliveryReceipt:
    provider_message_id: str | None
    status: str = "sent"


class Channel(Protocol):
    """`send` delivers; a channel whose provider can say what it already took (Twilio) also
    has `looks_up_sends = True` and honours `OutboundMessage.resume_after`. A chat channel
    may set `joins_replies_up_to` (characters): replies queued for one recipient are then
    sent together, up to that length (the dispatcher's claim joins them)."""

    name: str

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        """Deliver one message or raise DeliveryError."""
        ...


@dataclass(frozen=True)
class DeliveryUpdate:
    """A provider's later word on a message we sent (delivered, read, failed…)."""

    channel: str
    provider_message_id: str
    status: str                               # the provider's status word, lower case
    at: datetime
    error_code: str | None = None
    error_message: str | None = None          # names a failure, e.g. "Twilio undelivered"
    outbox_hint: int | None = None            # our outbox id, when the callback URL carried it
    window_closed: bool = False               # the provider refused: the customer must write first
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Handled:
    """The engine's word on one message handed over with `InboundSink.handle_now`."""

    outcome: str                    # customer | automated | agent_relayed | agent_flagged |
    #                                 duplicate | received (stored; routing is retried later) |
    #                                 unstored (see `error`)
    error: Exception | None = field(default=None, repr=False)   # why it could not be stored


class InboundSink(Protocol):
    """What an adapter may ask of the engine: store, check, set aside. Nothing else."""

    async def accept(self, message: InboundMessage) -> bool:
        """Store durably (deduplicated by channel + provider id), then hand it to the engine.

        Returns False for a repeat. Raises `StoreUnavailable` when the database cannot take it
        now: answer the provider with a retryable status (HTTP 503, SMTP 451).
        """
        ...

    def accept_now(self, message: InboundMessage) -> bool:
        """`accept` for a worker thread (IMAP poller): durable when it returns; routing waits
        for `route_accepted`, so a chunk of mail is routed together, in order."""
        ...

    def route_accepted(self) -> None:
        """Route what `accept_now` stored; a failure stays stored for the retry job."""
        ...

    def handle_now(self, messages: Sequence[InboundMessage]) -> list[Handled]:
        """For a worker thread (mail): store each message, then route the new ones together,
        in order, before returning; one `Handled` per message. A message that could not be
        stored carries the `error` (the adapter quarantines it); nothing is raised."""
        ...

    def has_seen(self, channel: str, provider_message_id: str) -> bool:
        """True when this provider id is stored already (skip work on provider retries)."""
        ...

    def quarantine(self, source: str, reason: str, raw: bytes,
                   envelope: Mapping[str, Any] | None = None) -> int:
        """Keep input that could not be read, with its bytes and why; returns its id."""
        ...

    def record_delivery(self, update: DeliveryUpdate) -> str:
        """Apply a delivery status callback: 'duplicate', 'unknown' (not ours), 'requeued',
        'failed', 'unchanged' or the status now shown."""
        ...

    def last_inbound(self, channel: str, addresses: Collection[str]) -> dict[str, datetime | None]:
        """When each address last wrote to us on this channel (messaging windows); None when
        never, or when the provider closed the window since."""
        ...


class ChannelSection(BaseModel):
    """Base of a channel's config sub-model (`channels.<name>` in config.yaml).

    Same rules as every config section: unknown keys are typos, so they are errors.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class SingletonLock(Protocol):
    """Held by one process at a time across workers (polling loops); never raises."""

    def try_take(self) -> bool: ...

    def release(self) -> None: ...


class StateStore(Protocol):
    """Small named values an adapter keeps between runs (an IMAP UIDVALIDITY, a cursor)."""

    def recall(self, key: str) -> str | None: ...

    def remember(self, key: str, value: str) -> None: ...


@dataclass(frozen=True)
class ChannelContext:
    """Everything an adapter's factory receives besides its own config section."""

    sink: InboundSink
    now: Callable[[], datetime]
    public_url: str                                # the base URL providers call and sign
    data_dir: Path                                 # where the adapter may keep files (media)
    state: StateStore
    lock: Callable[[str], SingletonLock]           # a cross-worker lock by name
    secret_key: bytes                              # signs reply addresses and links
    company_name: str = "Atiende"                  # how messages, senders and templates name us
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    # Narrow read-only callables one channel needs of the engine, by name (email:
    # "mail_history", the threading headers and recent automatic replies of earlier mail).
    queries: Mapping[str, Any] = field(default_factory=dict, repr=False)
    # Rate limits shared by every worker of the database (channels/rate_limits.py); None: an
    # adapter counts in its own memory.
    limiter: RateLimiter | None = field(default=None, repr=False)


class AdapterError(Exception):
    """Base of the errors adapters raise; each carries a one-line reason."""


class InvalidWebhook(AdapterError):
    """A webhook request failed validation; `status` is the HTTP status to answer."""

    def __init__(self, reason: str, status: int = 400) -> None:
        self.reason = reason
        self.status = status
        super().__init__(reason)


class UnparseableEmail(AdapterError):
    """An email could not be parsed; it is quarantined with this reason."""


class DeliveryError(AdapterError):
    """Sending through a channel failed; transient ones are retried after `retry_after` s."""

    def __init__(self, reason: str, transient: bool = True, retry_after: float | None = None):
        self.transient = transient
        self.retry_after = retry_after
        super().__init__(reason)


class DeliveryHeld(DeliveryError):
    """The channel may not deliver this message now (e.g. outside WhatsApp's 24 h window).

    The outbox keeps the row as `held` with the reason, until the channel can send it.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason, transient=False)


class ChannelOff(AdapterError):
    """A channel could not start (say, its token was refused): it stays off, the rest runs."""


class ChannelConfigError(AdapterError):
    """A channel's settings cannot work (a TLS file missing, a port taken): names the key."""


class StoreUnavailable(AdapterError):
    """The database cannot store the message now; the provider should retry later."""
