"""POST routes that act on a ticket: reply, note, resolve, assign, status, priority, category."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.desk.agent_commands import CommandError
from bot.store.db import transaction
from bot.web.agent.actions import ACTIONS
from bot.web.agent.core import Inbox, Visitor, endpoint
from bot.web.agent.pages import ticket_context
from bot.web.agent.thread import conversation_of, find_ticket
from bot.web.agent.window import check_reply_template
from bot.web.agent.words import error_text, t

ARGUMENT_FIELD = {"reply": "text", "note": "text", "resolve": "text", "assign": "assignee",
                  "status": "status", "priority": "priority", "category": "category"}


def act(inbox: Inbox, number: int, action: str, agent: str, form: dict[str, str]) -> str | None:
    """Run one action in its own transaction; the error code or text when it cannot apply."""
    argument = form.get(ARGUMENT_FIELD[action], "")
    try:
        with transaction(inbox.runtime.factory) as session:
            ticket = find_ticket(session, number)
            if ticket is None:
                return "not_found"
            if action == "reply":
                check_reply_template(session, inbox.config, ticket,
                                     conversation_of(session, ticket), form.get("template"),
                                     argument, inbox.now())
            ACTIONS[action](session, inbox.runtime.ctx.desk, ticket, agent, argument,
                            inbox.now())
    except CommandError as exc:
        return str(exc)
    return None


async def action_view(inbox: Inbox, request: Request) -> Response:
    visitor = await inbox.visitor(request)
    if visitor.agent is None:
        return inbox.to_sign_in(request, visitor)
    number, action = request.path_params["number"], request.path_params["action"]
    if action not in ACTIONS:
        return inbox.finish(Response(f"unknown action {action}", 404), visitor)
    form = await inbox.form(request, visitor)
    if form is None:  # nothing is done, but what was typed is shown again
        typed = (await request.form()).get("text")
        return await failed(inbox, request, visitor, "csrf", 403,
                            {"text": typed if isinstance(typed, str) else ""})
    error = await run_in_threadpool(act, inbox, number, action, visitor.email, form)
    if error is not None:
        status = 404 if error == "not_found" else 400
        return await failed(inbox, request, visitor, error, status, form)
    if action == "reply":
        inbox.runtime.outbox_ready()
    if request.headers.get("hx-request"):
        return await partial(inbox, request, visitor, number)
    return inbox.finish(RedirectResponse(f"/agent/tickets/{number}", 303), visitor)


async def partial(inbox: Inbox, request: Request, visitor: Visitor, number: int) -> Response:
    """htmx: the refreshed thread replaces the old one."""
    context = await run_in_threadpool(ticket_context, inbox, number, visitor.email)
    return inbox.render(request, visitor, "agent/thread.html", **(context or {}))


async def failed(inbox: Inbox, request: Request, visitor: Visitor, error: str, status: int,
                 form: dict[str, str]) -> Response:
    """The reason on the page, with a 4xx; what was typed stays in the box."""
    message = error_text(error, visitor.lang) if " " not in error else error
    if request.headers.get("hx-request"):
        return inbox.render(request, visitor, "agent/flash.html", status, error=message)
    number = request.path_params["number"]
    context = await run_in_threadpool(ticket_context, inbox, number, visitor.email)
    if context is None:
        return inbox.render(request, visitor, "agent/missing.html", 404, number=number)
    return inbox.render(request, visitor, "agent/ticket.html", status, error=message,
                        draft=form.get("text", ""), draft_kind=request.path_params["action"],
                        draft_template=form.get("template", ""),
                        **context)


async def typing(inbox: Inbox, request: Request) -> Response:
    visitor = await inbox.visitor(request)
    if visitor.agent is None:
        return inbox.to_sign_in(request, visitor)
    if await inbox.form(request, visitor) is None:
        return inbox.finish(Response(t("csrf", visitor.lang), 403), visitor)
    inbox.presence.mark_typing(request.path_params["number"], visitor.email)
    return inbox.finish(Response(status_code=204), visitor)


def acting_routes(inbox: Inbox) -> list[Route]:
    return [Route("/tickets/{number:int}/typing", endpoint(typing, inbox),
                  methods=["POST"]),
            Route("/tickets/{number:int}/{action}", endpoint(action_view, inbox),
                  methods=["POST"])]
