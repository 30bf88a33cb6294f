"""The engine's side of the channel boundary: the InboundSink every adapter is handed."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.engine import delivery_status, pipeline
from bot.engine.inbox import Accepted, find_message_id
from bot.engine.outbox import ReleaseHeld
from bot.engine.route import RouteResult
from bot.engine.turn import EngineContext
from bot.engine.windows import find_last_inbound_many
from bot.store.db import transaction
from bot.store.models import QuarantineItem
from channels.base import DeliveryUpdate, Handled, InboundMessage, StoreUnavailable

log = logging.getLogger(__name__)


@contextmanager
def unavailable_as_retryable() -> Iterator[None]:
    """A database error while storing tells the adapter to have the provider retry."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise StoreUnavailable(f"could not store the message: {type(exc).__name__}") from exc


class EngineSink:
    """Store first (deduplicated by provider id), then route; adapters see nothing else."""

    def __init__(self, factory: sessionmaker[Session], ctx: EngineContext) -> None:
        self.factory = factory
        self.ctx = ctx
        self.unrouted: list[Accepted] = []

    async def accept(self, message: InboundMessage) -> bool:
        with unavailable_as_retryable():
            return await pipeline.accept_then_route(self.factory, self.ctx, message,
                                                    on_new=self.on_new(message))

    def accept_now(self, message: InboundMessage) -> bool:
        """Durable when it returns; routing waits for `route_accepted` (chunks in mail order)."""
        with unavailable_as_retryable():
            accepted = pipeline.store(self.factory, self.ctx, message,
                                      on_new=self.on_new(message))
        if accepted.is_new:
            self.unrouted.append(accepted)
        return accepted.is_new

    def route_accepted(self) -> list[RouteResult]:
        """Route what `accept_now` stored, in order; a failure stays stored for the retry job."""
        waiting, self.unrouted = self.unrouted, []
        return pipeline.route_stored(self.factory, self.ctx, waiting)

    def handle_now(self, messages: Sequence[InboundMessage]) -> list[Handled]:
        """Store each message (durable, deduplicated), then route the new ones together, in
        order; the engine's word for each. A message that could not be stored carries the
        error, for the adapter to keep another way (mail: quarantine)."""
        stored: list[Accepted | Handled] = []
        for message in messages:
            try:
                stored.append(pipeline.store(self.factory, self.ctx, message,
                                             on_new=self.on_new(message)))
            except Exception as exc:  # one bad message must not stop the others
                stored.append(Handled("unstored", exc))
        new = [item for item in stored if isinstance(item, Accepted) and item.is_new]
        words = {result.message_id: result.outcome
                 for result in pipeline.route_stored(self.factory, self.ctx, new)}
        return [item if isinstance(item, Handled) else Handled(
            words.get(item.message_id, "received") if item.is_new else "duplicate")
            for item in stored]

    def on_new(self, message: InboundMessage) -> ReleaseHeld:
        """In the storing transaction: the customer wrote, so messages held for them are due."""
        return ReleaseHeld(message.channel, message.sender, self.ctx.clock.now)

    def has_seen(self, channel: str, provider_message_id: str) -> bool:
        with self.factory() as session:
            return find_message_id(session, channel, provider_message_id) is not None

    def quarantine(self, source: str, reason: str, raw: bytes,
                   envelope: Mapping[str, Any] | None = None) -> int:
        with transaction(self.factory) as session:
            item = QuarantineItem(source=source, reason=reason, raw=raw, at=self.ctx.clock.now(),
                                  envelope=dict(envelope) if envelope else None)
            session.add(item)
            session.flush()
            return item.id

    def record_delivery(self, update: DeliveryUpdate) -> str:
        with transaction(self.factory) as session:
            return delivery_status.record(session, update, self.ctx.clock.now())

    def last_inbound(self, channel: str, addresses: Collection[str]) -> dict[str, datetime | None]:
        with self.factory() as session:
            return find_last_inbound_many(session, channel, addresses)
