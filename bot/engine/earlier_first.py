"""Several workers on one database: a customer's earlier message, stored by another worker and
not routed yet, is routed before their later one, so each conversation is handled in order."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from bot.engine.inbox import Accepted
from bot.store.models import UNROUTED_ROW, Message

EARLIER_LIMIT = 32   # a batch routes at most this many stragglers first; the rest, next time
UNROUTED_OF_CONTACTS = (
    select(Message.id, Message.contact_id)
    .where(UNROUTED_ROW, Message.status == "received",   # along ix_messages_unrouted
           Message.contact_id.in_(bindparam("contact_ids", expanding=True)),
           Message.id < bindparam("before"),
           Message.id.not_in(bindparam("batch_ids", expanding=True)))
    .order_by(Message.id).limit(EARLIER_LIMIT)
    .prefix_with("/* earlier_first */"))   # named in the SQL, for logs and tests


def earlier_unrouted(factory: sessionmaker[Session], batch: list[Accepted]) -> list[int]:
    """Ids of stored, not yet routed messages sent by the batch's customers before their
    message in the batch (oldest first). Routing skips a message already routed, so one
    that another worker routes meanwhile is handled once."""
    first_in_batch: dict[int, int] = {}
    for accepted in batch:
        if accepted.contact_id is not None:
            first_in_batch.setdefault(accepted.contact_id, accepted.message_id)
    if not first_in_batch:
        return []
    batch_ids = [accepted.message_id for accepted in batch]
    with factory() as session:
        rows = session.execute(UNROUTED_OF_CONTACTS, {
            "contact_ids": list(first_in_batch), "before": max(first_in_batch.values()),
            "batch_ids": batch_ids}).all()
    return [message_id for message_id, contact_id in rows
            if message_id < first_in_batch[contact_id]]
