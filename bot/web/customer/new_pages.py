"""/tickets/new (the form, KB suggestions while typing) and /tickets/confirm/{token}."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.store.db import transaction
from bot.store.models import CATEGORIES, PRIORITIES, Ticket
from bot.web.customer.core import Customer, Portal
from bot.web.customer.opening import open_ticket
from bot.web.customer.requests import find_request, submit, uploads_of
from bot.web.customer.ticket_form import parse_ticket_form
from bot.web.customer.uploads import FormRefused, size_label
from bot.web.customer.words import t
from channels.rate_limits import client_ip
from kb.matcher import best_match

NEW = "customer/new.html"
MIN_SUGGEST_CHARS = 4
MAX_SUGGESTIONS = 3


def form_context(portal: Portal) -> dict[str, Any]:
    s = portal.settings
    return {"categories": CATEGORIES, "priorities": PRIORITIES, "max_files": s.max_attachments,
            "size": size_label(s), "types": ", ".join(s.attachment_types),
            "accept": ",".join(s.attachment_types)}


def suggestions(portal: Portal, title: str) -> list[tuple[str, str, str]]:
    """(id, title, answer) of the articles the bot's matcher finds for the title so far."""
    if len(title.strip()) < MIN_SUGGEST_CHARS:
        return []
    match = best_match(portal.runtime.ctx.kb_index, title[:300])
    articles = portal.runtime.ctx.articles
    return [(c.article_id, c.title, articles[c.article_id].body.strip())
            for c in match.candidates[:MAX_SUGGESTIONS] if c.article_id in articles]


def new_routes(portal: Portal) -> list[Route]:
    async def new_page(request: Request) -> Response:
        customer = portal.customer(request)
        return portal.render(request, customer, NEW, values={"email": customer.email or ""},
                             **form_context(portal))

    async def suggest(request: Request) -> Response:
        customer = portal.customer(request)
        if not await portal.allow("suggest", request):
            return portal.finish(Response(t("rate_limited", customer.lang), 429), customer)
        title = request.query_params.get("title", "")
        found = await run_in_threadpool(suggestions, portal, title)
        return portal.render(request, customer, "customer/suggestions.html", found=found,
                             query=title)

    async def send(request: Request) -> Response:
        customer = portal.customer(request)
        if not await portal.allow("new_ticket", request):
            return portal.refuse(request, customer, "rate_limited", 429)
        fields: dict[str, str] = {}
        try:
            fields, files = await portal.form(request, customer)
            form = parse_ticket_form(fields)
            await run_in_threadpool(store, portal, form, files, customer.lang,
                                    client_ip(request))
        except FormRefused as refused:
            return portal.render(request, customer, NEW, refused.status, values=fields,
                                 error=t(refused.key, customer.lang, **refused.values),
                                 **form_context(portal))
        portal.runtime.outbox_ready()
        return portal.render(request, customer, "customer/message.html", 202,
                             notice=t("check_mail", customer.lang, email=form.email,
                                      hours=portal.settings.confirm_hours))

    return [Route("/tickets/new", new_page, methods=["GET"]),
            Route("/tickets/new", send, methods=["POST"]),
            Route("/tickets/suggest", suggest, methods=["GET"]),
            *confirm_routes(portal)]


def store(portal: Portal, form: Any, files: list[Any], lang: str, ip: str) -> None:
    with transaction(portal.runtime.factory) as session:
        submit(session, portal.config, form, files, lang, ip, portal.now())


def confirm_routes(portal: Portal) -> list[Route]:
    async def confirm_page(request: Request) -> Response:
        customer = portal.customer(request)
        title = await run_in_threadpool(pending_title, portal, request.path_params["token"])
        if title is None:
            return portal.refuse(request, customer, "bad_link", 404)
        return portal.render(request, customer, "customer/confirm.html", title=title)

    async def confirm(request: Request) -> Response:
        customer = portal.customer(request)
        number = await portal.spend_posted_link(request, customer, confirm_now)
        if isinstance(number, Response):
            return number
        portal.runtime.outbox_ready()
        return done(portal, request, customer, number)

    return [Route("/tickets/confirm/{token}", confirm_page, methods=["GET"]),
            Route("/tickets/confirm/{token}", confirm, methods=["POST"])]


def done(portal: Portal, request: Request, customer: Customer, number: int) -> Response:
    return portal.render(request, customer, "customer/message.html",
                         notice=t("confirmed", customer.lang, number=number), link_my=True)


def pending_title(portal: Portal, token: str) -> str | None:
    with portal.runtime.factory() as session:
        found = find_request(session, token, portal.now())
        return str(found.form.get("title", "")) if found else None


def confirm_now(portal: Portal, token: str) -> int | None:
    """The ticket's number (the same one again on a second click); None for a bad link."""
    with transaction(portal.runtime.factory) as session:
        found = find_request(session, token, portal.now())
        if found is None:
            return None
        if found.ticket_id is None:
            ticket = open_ticket(session, portal.runtime.ctx.desk, portal.config, found,
                                 uploads_of(session, found), portal.now())
            return ticket.number
        ticket = session.get(Ticket, found.ticket_id)
        return ticket.number if ticket else None
