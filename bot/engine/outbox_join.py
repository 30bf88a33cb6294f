"""Under a backlog, a recipient's bot replies that are due together leave as one message.

A customer who sends ten messages in a burst gets ten replies. While the provider's send rate
keeps them queued, the serving dispatcher's claim folds the recipient's later due replies
into the oldest one it claims: one provider call instead of ten, the texts in their order,
separated by a blank line. When nothing waits (the usual case: each reply is claimed as
soon as it is committed) nothing is joined.

It happens in the claim's transaction, before any send, so everything after it works on one
row as before: send-once, the provider lookup after a crash (the joined text is stored on
the row), status callbacks. A folded row keeps its own text (the agents' thread shows it) and
gets the status `joined` with the id of the row it left in (`payload.joined_into`).

Only plain bot replies (kind `reply`) on channels that say how long a message may be
(`joins_replies_up_to`) are joined; any other row stops a join, so each recipient's order
holds. The last reply's buttons go with the message; an earlier reply's are written out
after its text (as WhatsApp does with every button), unless its text already offers them.
A reply identical to one already in the message (text and buttons) is folded into it but not
written twice: the bot's "I added your message to your ticket" after each of a customer's
quick messages reads once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bot.store.models import OutboxItem, open_outbox_row
from channels.text_split import degrade_buttons

JOINED = "joined"
JOIN_KEYS = frozenset({"joined", "joined_text", "joined_buttons"})   # a host row's payload
SEPARATOR = "\n\n"
JOINABLE_KIND = "reply"
BUTTONS_ROOM = 100   # characters kept free for the buttons' labels that a channel writes out
OUTBOX = OutboxItem.__table__
PAYLOAD = OUTBOX.c.payload.type
NOW = bindparam("now", type_=OUTBOX.c.next_attempt_at.type)
LATER_DUE = (select(OUTBOX.c.id, OUTBOX.c.channel, OUTBOX.c.recipient, OUTBOX.c.payload)
             .where(OUTBOX.c.recipient.in_(bindparam("recipients", expanding=True)),
                    open_outbox_row(),   # ix_outbox_line's rows
                    OUTBOX.c.status == "pending", OUTBOX.c.next_attempt_at <= NOW,
                    OUTBOX.c.id > bindparam("after"))
             .order_by(OUTBOX.c.id + 0))
FOLD = (update(OUTBOX)
        .where(OUTBOX.c.id == bindparam("row_id"), OUTBOX.c.status == "pending")
        .values(status=JOINED, payload=bindparam("folded", type_=PAYLOAD)))
HOST = (update(OUTBOX).where(OUTBOX.c.id == bindparam("row_id"))
        .values(payload=bindparam("joined", type_=PAYLOAD)))


def can_host(item: OutboxItem, limit: int, tries_before: int = 1) -> bool:
    """A first attempt of a plain reply, on a channel that joins (`tries_before`: the
    attempts counted on the row, 1 once it is claimed)."""
    payload = item.payload
    return (limit > 0 and item.attempts == tries_before and payload.get("kind") == JOINABLE_KIND
            and "joined" not in payload)


def join_later_replies(session: Session, claimed: Sequence[OutboxItem],
                       limits: Mapping[str, int], now: datetime) -> int:
    """Fold each claimed row's recipient's later due replies into it; how many were folded.
    Runs in the claim's transaction (`claimed` are just claimed, first attempts or not)."""
    hosts = {(item.channel, item.recipient): item for item in claimed
             if can_host(item, limits.get(item.channel, 0))}
    if not hosts:
        return 0
    later: dict[tuple[str, str], list[Any]] = {}
    for row in session.connection().execute(LATER_DUE, {
            "recipients": sorted({recipient for _, recipient in hosts}), "now": now,
            "after": min(item.id for item in hosts.values())}):
        line = (row.channel, row.recipient)
        if line in hosts and row.id > hosts[line].id:
            later.setdefault(line, []).append(row)
    return sum(fold(session, host, later.get(line, []), limits[host.channel])
               for line, host in hosts.items())


def fold(session: Session, host: OutboxItem, rows: list[Any], limit: int) -> int:
    """Join `rows` (the recipient's next due rows, in order) into `host` while they fit. A
    reply that says what one already in the message says (same text and buttons) is folded
    without being written again: six "I added your message to ticket #117" read as one."""
    texts = [host.payload.get("text", "")]
    buttons = tuple(host.payload.get("buttons", ()))
    said = {(texts[0], buttons)}
    joined: list[int] = []
    head = 0   # characters of the texts before the last one, each with its separator
    for row in rows:
        payload = row.payload
        text = payload.get("text", "")
        row_buttons = tuple(payload.get("buttons", ()))
        repeated = (text, row_buttons) in said
        before = degrade_buttons(texts[-1], buttons)   # no longer the message's last text
        if payload.get("kind") != JOINABLE_KIND or (
                not repeated and head + len(before) + len(SEPARATOR) + len(text)
                > limit - BUTTONS_ROOM):
            break
        folded = {**payload, "joined_into": host.id}
        if not session.connection().execute(FOLD, {"row_id": row.id, "folded": folded}).rowcount:
            break   # taken meanwhile: what follows it must not go before it
        joined.append(row.id)
        if repeated:
            continue
        said.add((text, row_buttons))
        head += len(before) + len(SEPARATOR)
        texts[-1] = before
        texts.append(text)
        buttons = row_buttons
    if not joined:
        return 0
    payload = {**host.payload, "joined": joined, "joined_text": SEPARATOR.join(texts),
               "joined_buttons": list(buttons)}
    session.connection().execute(HOST, {"row_id": host.id, "joined": payload})
    set_committed_value(host, "payload", payload)
    return len(joined)


def sent_text(payload: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """What a row sends: its own text and buttons, or those of the replies joined into it."""
    if "joined_text" in payload:
        return payload["joined_text"], tuple(payload.get("joined_buttons", ()))
    return payload.get("text", ""), tuple(payload.get("buttons", ()))
