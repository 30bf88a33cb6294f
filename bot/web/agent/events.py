"""Live updates by server-sent events: 'changed' when the desk's audit trail moves, 'presence'.

Every change an agent, the bot or a customer makes writes a ticket_events row, so the highest
event id (of one ticket, or of the desk) is a watermark any worker process can read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import func, select
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.store.models import Ticket, TicketEvent
from bot.web.agent.core import Inbox
from bot.web.agent.words import t

POLL_SECONDS = 0.5
PING_SECONDS = 15


def watermark(inbox: Inbox, number: int | None) -> int:
    stmt = select(func.max(TicketEvent.id))
    if number is not None:
        ticket_id = select(Ticket.id).where(Ticket.number == number).scalar_subquery()
        stmt = stmt.where(TicketEvent.ticket_id == ticket_id)
    with inbox.runtime.factory() as session:
        return session.scalar(stmt) or 0


def presence_html(inbox: Inbox, number: int, me: str, lang: str) -> str:
    viewing, typing = inbox.presence.snapshot(number, me)
    parts = []
    if viewing:
        parts.append(t("viewing", lang, who=", ".join(viewing)))
    parts += [t("typing", lang, who=who) for who in typing]
    return " · ".join(parts)


async def stream(inbox: Inbox, request: Request, number: int | None, me: str,
                 lang: str) -> AsyncIterator[dict[str, Any]]:
    """Poll the watermark (cheap, indexed) and the presence table; send what changed."""
    mark = await run_in_threadpool(watermark, inbox, number)
    shown = None
    if number is not None:
        inbox.presence.join(number, me)
    try:
        while not await request.is_disconnected():
            now_mark = await run_in_threadpool(watermark, inbox, number)
            if now_mark != mark:
                mark = now_mark
                yield {"event": "changed", "data": str(mark)}
            if number is not None:
                html = presence_html(inbox, number, me, lang)
                if html != shown:
                    shown = html
                    yield {"event": "presence", "data": html}
            await asyncio.sleep(POLL_SECONDS)
    finally:
        if number is not None:
            inbox.presence.leave(number, me)


def event_routes(inbox: Inbox) -> list[Route]:
    async def events(request: Request) -> Response:
        visitor = await inbox.visitor(request)
        if visitor.agent is None:
            return inbox.to_sign_in(request, visitor)
        raw = request.query_params.get("ticket", "")
        number = int(raw) if raw.isdigit() else None
        return EventSourceResponse(stream(inbox, request, number, visitor.email, visitor.lang),
                                   ping=PING_SECONDS)

    return [Route("/events", events, methods=["GET"])]
