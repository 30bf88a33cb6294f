"""The list and the conversation pages (full pages and the htmx partials they refresh)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.store.models import CATEGORIES, PRIORITIES, TICKET_STATUSES
from bot.web.agent.canned import fill, load_canned
from bot.web.agent.core import Inbox
from bot.web.agent.listing import CHANNELS, Filters, list_page, parse_filters, waited
from bot.web.agent.thread import contact_card, conversation_of, find_ticket, thread
from bot.web.agent.window import window_notice

ICONS = {"whatsapp": "WA", "telegram": "TG", "email": "@", "webchat": "Web", "webform": "Form",
         "console": ">_"}
CHOICES = {"icons": ICONS, "statuses": TICKET_STATUSES, "priorities": PRIORITIES,
           "categories": CATEGORIES, "channels": CHANNELS}


def list_context(inbox: Inbox, filters: Filters, agent: str) -> dict[str, Any]:
    soon = timedelta(minutes=inbox.config.inbox.sla_soon_minutes)
    with inbox.runtime.factory() as session:
        page = list_page(session, filters, agent, inbox.now(), inbox.zone, soon)
    now = inbox.now()
    return {**page, "filters": filters, "waited": lambda at: waited(now, at), **CHOICES}


def ticket_context(inbox: Inbox, number: int, agent: str) -> dict[str, Any] | None:
    """Everything the conversation page shows, or None when there is no such ticket."""
    with inbox.runtime.factory() as session:
        ticket = find_ticket(session, number)
        if ticket is None:
            return None
        card = contact_card(session, ticket)
        conversation = conversation_of(session, ticket)
        notice = window_notice(session, inbox.config, ticket, conversation, inbox.now())
        entries = thread(session, ticket, inbox.zone)
        session.expunge(ticket)
    canned = [(c.title, fill(c.body, card["name"], number)) for c in
              load_canned(inbox.config.resolve_path(inbox.config.inbox.canned_path))]
    return {"ticket": ticket, "contact": card, "entries": entries, "window": notice,
            "canned": canned, "agents": inbox.config.agents, **CHOICES}


def page_routes(inbox: Inbox) -> list[Route]:
    async def list_view(request: Request) -> Response:
        visitor = await inbox.visitor(request)
        if visitor.agent is None:
            return inbox.to_sign_in(request, visitor)
        filters = parse_filters(request.query_params)
        context = await run_in_threadpool(list_context, inbox, filters, visitor.email)
        name = "agent/rows.html" if request.url.path.endswith("/rows") else "agent/list.html"
        return inbox.render(request, visitor, name, **context)

    async def ticket_view(request: Request) -> Response:
        visitor = await inbox.visitor(request)
        if visitor.agent is None:
            return inbox.to_sign_in(request, visitor)
        number = request.path_params["number"]
        context = await run_in_threadpool(ticket_context, inbox, number, visitor.email)
        if context is None:
            return inbox.render(request, visitor, "agent/missing.html", 404, number=number)
        name = ("agent/thread.html" if request.url.path.endswith("/thread")
                else "agent/ticket.html")
        return inbox.render(request, visitor, name, **context)

    return [Route("/", list_view, methods=["GET"]), Route("/rows", list_view, methods=["GET"]),
            Route("/tickets/{number:int}", ticket_view, methods=["GET"]),
            Route("/tickets/{number:int}/thread", ticket_view, methods=["GET"])]
