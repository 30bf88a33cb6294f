"""The widget's LiveBus on PostgreSQL (channels/webchat/bus.py): a reply sent by one worker
is announced with NOTIFY; every worker LISTENs and pushes it to the visitor's streams it holds.

A reply too long for a notification (PostgreSQL's limit is 8,000 bytes) is announced by address
only: those streams read it from the history. A worker whose LISTEN connection dropped tells
all its streams to read their history once it is back, so nothing announced meanwhile is lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine, text

from bot.engine.outbox_signal import libpq_url
from channels.webchat.bus import Deliver

log = logging.getLogger(__name__)
CHANNEL = "atiende_web"
MAX_PAYLOAD = 7900
RECONNECT_SECONDS = 1.0


class PgWebBus:
    shared = True

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.origin = uuid.uuid4().hex[:12]   # this worker: its own announcements are skipped

    async def announce(self, address: str, event: Mapping[str, Any]) -> None:
        payload = json.dumps({"o": self.origin, "a": address, "e": event}, ensure_ascii=False)
        if len(payload.encode()) > MAX_PAYLOAD:
            payload = json.dumps({"o": self.origin, "a": address, "e": None})
        try:
            await asyncio.to_thread(self.notify, payload)
        except Exception as exc:   # best effort: the other workers' recheck finds it
            log.warning("web: could not announce a reply to other workers (%s)", exc)

    def notify(self, payload: str) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT pg_notify(:channel, :payload)"),
                               {"channel": CHANNEL, "payload": payload})
            connection.commit()

    async def listen(self, deliver: Deliver, lost: Callable[[], None]) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                        libpq_url(self.engine), autocommit=True) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    lost()   # what was announced before we listened: from the history
                    async for notice in connection.notifies():
                        self.hand_on(notice.payload, deliver)
            except psycopg.Error as exc:
                log.warning("web: LISTEN connection lost (%s); reconnecting", exc)
                await asyncio.sleep(RECONNECT_SECONDS)

    def hand_on(self, payload: str, deliver: Deliver) -> None:
        try:
            news = json.loads(payload)
            origin, address, event = news["o"], news["a"], news["e"]
        except (ValueError, KeyError, TypeError):
            log.warning("web: ignored a malformed announcement")
            return
        if origin != self.origin and isinstance(address, str):
            deliver(address, event if isinstance(event, dict) else None)
