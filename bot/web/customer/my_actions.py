"""POST /my/tickets/{number}/{action}: comment, confirm, reopen, rate — owner checked first."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.store.db import transaction
from bot.web.customer import acting
from bot.web.customer.core import Portal
from bot.web.customer.mine import owned_ticket
from bot.web.customer.my_pages import show_ticket, to_sign_in
from bot.web.customer.uploads import FormRefused, Upload
from bot.web.customer.words import t

ACTIONS = ("comment", "confirm", "reopen", "rate")


def act(portal: Portal, email: str, number: int, action: str, fields: dict[str, str],
        files: list[Upload]) -> bool:
    """Run the action in one transaction; False when the ticket is not this customer's."""
    desk, now = portal.runtime.ctx.desk, portal.now()
    with transaction(portal.runtime.factory) as session:
        ticket = owned_ticket(session, email, number)
        if ticket is None:
            return False
        if action == "comment":
            acting.add_info(session, desk, portal.config, ticket, email,
                            fields.get("text", ""), files, now)
        elif action == "confirm":
            acting.confirm_fix(session, desk, ticket, email, now)
        elif action == "reopen":
            acting.reopen(session, desk, ticket, email, now)
        else:
            acting.rate(session, desk, ticket, email, acting.parse_score(fields.get("score", "")),
                        fields.get("comment", ""), now)
    return True


def action_routes(portal: Portal) -> list[Route]:
    async def action(request: Request) -> Response:
        customer = portal.customer(request)
        number, name = request.path_params["number"], request.path_params["action"]
        if name not in ACTIONS:
            return portal.refuse(request, customer, "not_found", 404)
        if not customer.email:
            return to_sign_in(portal, customer)
        if not await portal.allow("post", request):
            return portal.refuse(request, customer, "rate_limited", 429)
        try:
            fields, files = await portal.form(request, customer)
            found = await run_in_threadpool(act, portal, customer.email, number, name, fields,
                                            files)
        except FormRefused as refused:
            error = t(refused.key, customer.lang, **refused.values)
            return await show_ticket(portal, request, customer, number, refused.status, error)
        if not found:
            return portal.refuse(request, customer, "not_found", 404)
        portal.runtime.outbox_ready()
        return portal.finish(RedirectResponse(f"/my/tickets/{number}", 303), customer)

    return [Route("/my/tickets/{number:int}/{action}", action, methods=["POST"])]
