"""The inbound pipeline every channel uses: store (deduped), then route in one transaction."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.db import transaction
from bot.engine import RouteResult, route_message
from bot.inbox import accept_inbound
from bot.models import Message
from bot.turn import EngineContext
from channels.base import InboundMessage

log = logging.getLogger(__name__)


def receive(factory: sessionmaker[Session], ctx: EngineContext,
            inbound: InboundMessage) -> RouteResult | None:
    """Store the message, then handle it; None when it is a provider retry seen before."""
    with factory() as session:
        accepted = accept_inbound(session, ctx.config, inbound)
    if not accepted.is_new:
        metrics.DUPLICATE_MESSAGES.labels(inbound.channel).inc()
        return None
    metrics.INBOUND_MESSAGES.labels(inbound.channel).inc()
    return process_message(factory, ctx, accepted.message_id)


def process_message(factory: sessionmaker[Session], ctx: EngineContext,
                    message_id: int) -> RouteResult:
    """Route a stored message; on failure it stays stored, marked `failed`, and is re-raised."""
    try:
        with transaction(factory) as session:
            return route_message(session, ctx, message_id)
    except Exception:
        metrics.ROUTING_FAILURES.inc()
        log.exception("routing message %s failed; it stays stored for a retry", message_id)
        mark_failed(factory, message_id)
        raise


def mark_failed(factory: sessionmaker[Session], message_id: int) -> None:
    with transaction(factory) as session:
        message = session.get(Message, message_id)
        if message is not None:
            message.status = "failed"
