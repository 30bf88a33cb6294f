"""/my/: sign-in by mailed link, the customer's tickets, one ticket, its files, sign-out."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.store.db import transaction
from bot.web.agent.files import download
from bot.web.agent.sessions import WebSession, signed_in
from bot.web.customer.core import Customer, Portal
from bot.web.customer.links import find_link, send_link, use_link
from bot.web.customer.mine import (
    assignee_name,
    contact_of,
    history,
    owned_ticket,
    owned_upload,
    tickets_of,
)
from bot.web.customer.ticket_form import parse_email
from bot.web.customer.uploads import FormRefused
from bot.web.customer.words import t

HOME = "/my/"


def list_context(portal: Portal, email: str) -> dict[str, Any]:
    with portal.runtime.factory() as session:
        contact = contact_of(session, email)
        found = tickets_of(session, contact) if contact else []
        rows = [{"ticket": ticket, "assignee": assignee_name(portal.config, ticket)}
                for ticket in found]
        session.expunge_all()
    return {"rows": rows}


def ticket_context(portal: Portal, email: str | None, number: int) -> dict[str, Any] | None:
    with portal.runtime.factory() as session:
        ticket = owned_ticket(session, email, number)
        if ticket is None:
            return None
        lines = history(session, ticket)
        session.expunge_all()
    return {"ticket": ticket, "lines": lines, "assignee": assignee_name(portal.config, ticket)}


def sign_in_routes(portal: Portal) -> list[Route]:
    async def ask_link(request: Request) -> Response:
        customer = portal.customer(request)
        if not await portal.allow("sign_in", request):
            return portal.refuse(request, customer, "rate_limited", 429)
        try:
            fields, _files = await portal.form(request, customer)
            email = parse_email(fields.get("email", ""))
        except FormRefused as refused:
            return portal.render(request, customer, "customer/my_sign_in.html", refused.status,
                                 error=t(refused.key, customer.lang, **refused.values))
        if await run_in_threadpool(mail_link, portal, email, customer.lang):
            portal.runtime.outbox_ready()
        return portal.render(request, customer, "customer/message.html", notice=t(
            "link_sent", customer.lang, minutes=portal.settings.sign_in_minutes))

    async def sign_out(request: Request) -> Response:
        customer = portal.customer(request)
        try:
            await portal.form(request, customer)
        except FormRefused as refused:
            return portal.refuse(request, customer, refused.key, refused.status)
        customer.session = WebSession(fresh=True)
        return portal.finish(RedirectResponse(HOME, 303), customer)

    return [Route("/my/sign-in", ask_link, methods=["POST"]),
            Route("/my/sign-out", sign_out, methods=["POST"]), *link_routes(portal)]


def link_routes(portal: Portal) -> list[Route]:
    """The mailed link: GET shows a button (mail scanners that follow links use nothing up),
    POST spends the link and signs the customer in."""

    async def link_page(request: Request) -> Response:
        customer = portal.customer(request)
        if not await run_in_threadpool(is_live_link, portal, request.path_params["token"]):
            return portal.refuse(request, customer, "bad_link", 404)
        return portal.render(request, customer, "customer/link.html")

    async def take_link(request: Request) -> Response:
        customer = portal.customer(request)
        email = await portal.spend_posted_link(request, customer, spend_link)
        if isinstance(email, Response):
            return email
        customer.session = signed_in(email, 0, portal.now())
        return portal.finish(RedirectResponse(HOME, 303), customer)

    return [Route("/my/link/{token}", link_page, methods=["GET"]),
            Route("/my/link/{token}", take_link, methods=["POST"])]


def mail_link(portal: Portal, email: str, lang: str) -> bool:
    with transaction(portal.runtime.factory) as session:
        return send_link(session, portal.config, email, lang, portal.now())


def is_live_link(portal: Portal, token: str) -> bool:
    with portal.runtime.factory() as session:
        return find_link(session, token, portal.now()) is not None


def spend_link(portal: Portal, token: str) -> str | None:
    with transaction(portal.runtime.factory) as session:
        return use_link(session, token, portal.now())


def page_routes(portal: Portal) -> list[Route]:
    async def home(request: Request) -> Response:
        customer = portal.customer(request)
        if not customer.email:
            return portal.render(request, customer, "customer/my_sign_in.html")
        context = await run_in_threadpool(list_context, portal, customer.email)
        return portal.render(request, customer, "customer/my_list.html", **context)

    async def ticket_page(request: Request) -> Response:
        customer = portal.customer(request)
        if not customer.email:
            return to_sign_in(portal, customer)
        return await show_ticket(portal, request, customer, request.path_params["number"])

    async def attachment(request: Request) -> Response:
        customer = portal.customer(request)
        found = await run_in_threadpool(read_upload, portal, customer.email,
                                        request.path_params["upload"])
        if found is None:
            return portal.refuse(request, customer, "not_found", 404)
        return portal.finish(download(*found), customer)

    return [Route(HOME, home, methods=["GET"]),
            Route("/my/tickets/{number:int}", ticket_page, methods=["GET"]),
            Route("/my/attachments/{upload:int}", attachment, methods=["GET"])]


def to_sign_in(portal: Portal, customer: Customer) -> Response:
    return portal.finish(RedirectResponse(HOME, 303), customer)


async def show_ticket(portal: Portal, request: Request, customer: Customer, number: int,
                      status: int = 200, error: str | None = None) -> Response:
    context = await run_in_threadpool(ticket_context, portal, customer.email, number)
    if context is None:
        return portal.refuse(request, customer, "not_found", 404)
    return portal.render(request, customer, "customer/my_ticket.html", status, error=error,
                         max_files=portal.settings.max_attachments,
                         accept=",".join(portal.settings.attachment_types), **context)


def read_upload(portal: Portal, email: str | None,
                upload_id: int) -> tuple[str, str, bytes] | None:
    with portal.runtime.factory() as session:
        upload = owned_upload(session, email, upload_id)
        return (upload.filename, upload.content_type, upload.data) if upload else None

