"""/agent/settings: what supervisors manage from the browser — agents' sign-in (invite, unlock)
and the canned responses folder. Everyone else gets 403 with a page that says why.

Business hours, holidays and the agents list itself live in config.yaml (shown, not edited here).
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.store.db import transaction
from bot.web.agent.accounts import AccountError, find_account, invite
from bot.web.agent.canned import (
    LANGS,
    Canned,
    CannedError,
    delete_canned,
    find_canned,
    load_canned,
    save_canned,
)
from bot.web.agent.core import Inbox, Visitor, endpoint
from bot.web.agent.invites import invite_link, mail_invite
from bot.web.agent.words import t

log = logging.getLogger(__name__)
PAGE = "agent/settings.html"
CANNED_FORM = "agent/canned_form.html"


async def supervisor(inbox: Inbox, request: Request) -> tuple[Visitor, Response | None]:
    """The visitor, and the response to send instead when they may not manage settings."""
    visitor = await inbox.visitor(request)
    if visitor.agent is None:
        return visitor, inbox.to_sign_in(request, visitor)
    if not visitor.agent.supervisor:
        return visitor, inbox.render(request, visitor, "agent/forbidden.html", 403)
    return visitor, None


async def supervisor_form(inbox: Inbox, request: Request
                          ) -> tuple[Visitor, dict[str, str], Response | None]:
    """A supervisor's form with a valid CSRF token, or the response to send instead."""
    visitor, refused = await supervisor(inbox, request)
    if refused is not None:
        return visitor, {}, refused
    form = await inbox.form(request, visitor)
    if form is None:
        return visitor, {}, await page_error(inbox, request, visitor,
                                             t("csrf", visitor.lang), 403)
    return visitor, form, None


def agent_states(inbox: Inbox) -> list[dict[str, Any]]:
    """Each configured agent with the state of their inbox account."""
    now = inbox.now()
    found = []
    with inbox.runtime.factory() as session:
        for agent in inbox.config.agents:
            account = find_account(session, agent.email)
            state = ("password_set" if account and account.password_hash else
                     "invited" if account and account.invite_hash else "not_invited")
            locked = bool(account and account.locked_until and account.locked_until > now)
            found.append({"agent": agent, "state": state, "locked": locked})
    return found


def page_context(inbox: Inbox) -> dict[str, Any]:
    hours = inbox.config.business_hours
    return {"agent_rows": agent_states(inbox), "canned_list": load_canned(canned_folder(inbox)),
            "hours": hours, "config_file": inbox.config.source or "config.yaml"}


def canned_folder(inbox: Inbox) -> Any:
    return inbox.config.resolve_path(inbox.config.inbox.canned_path)


async def settings_page(inbox: Inbox, request: Request) -> Response:
    visitor, refused = await supervisor(inbox, request)
    if refused is not None:
        return refused
    context = await run_in_threadpool(page_context, inbox)
    return inbox.render(request, visitor, PAGE, done=request.query_params.get("done") == "1",
                        **context)


def make_invite(inbox: Inbox, email: str, by: str) -> tuple[str, bool]:
    """(link, mailed); AccountError for an address not under agents:."""
    with transaction(inbox.runtime.factory) as session:
        token = invite(session, inbox.config, email, inbox.now())
        link = invite_link(inbox.config, token)
        mailed = mail_invite(session, inbox.config, email.lower(), link, inbox.now())
    log.info("agent:%s invited %s to the inbox", by, email.lower())
    return link, mailed


async def invite_agent(inbox: Inbox, request: Request) -> Response:
    visitor, form, refused = await supervisor_form(inbox, request)
    if refused is not None:
        return refused
    email = form.get("email", "").strip()
    try:
        link, mailed = await run_in_threadpool(make_invite, inbox, email, visitor.email)
    except AccountError:
        return await page_error(inbox, request, visitor, t("not_an_agent", visitor.lang), 400)
    context = await run_in_threadpool(page_context, inbox)
    return inbox.render(request, visitor, PAGE, invited=email.lower(), link=link,
                        mailed=mailed, **context)


def clear_lock(inbox: Inbox, email: str, by: str) -> bool:
    with transaction(inbox.runtime.factory) as session:
        account = find_account(session, email)
        if account is None or inbox.config.find_agent(email) is None:
            return False
        account.locked_until = None
        account.failed_logins = 0
        account.updated_at = inbox.now()
    log.info("agent:%s unlocked %s", by, email.lower())
    return True


async def unlock_agent(inbox: Inbox, request: Request) -> Response:
    visitor, form, refused = await supervisor_form(inbox, request)
    if refused is not None:
        return refused
    if not await run_in_threadpool(clear_lock, inbox, form.get("email", ""), visitor.email):
        return await page_error(inbox, request, visitor, t("not_an_agent", visitor.lang), 400)
    return inbox.finish(RedirectResponse("/agent/settings?done=1", 303), visitor)


async def page_error(inbox: Inbox, request: Request, visitor: Visitor, error: str,
                     status: int) -> Response:
    context = await run_in_threadpool(page_context, inbox)
    return inbox.render(request, visitor, PAGE, status, error=error, **context)


async def canned_form(inbox: Inbox, request: Request) -> Response:
    visitor, refused = await supervisor(inbox, request)
    if refused is not None:
        return refused
    canned_id = request.path_params.get("canned_id")
    if canned_id is None:
        return inbox.render(request, visitor, CANNED_FORM, item=Canned("", "", "", ""), new=True,
                            langs=LANGS)
    item = await run_in_threadpool(find_canned, canned_folder(inbox), canned_id)
    if item is None:
        return inbox.render(request, visitor, PAGE, 404, error=t("canned_missing", visitor.lang),
                            **await run_in_threadpool(page_context, inbox))
    return inbox.render(request, visitor, CANNED_FORM, item=item, new=False, langs=LANGS)


async def canned_save(inbox: Inbox, request: Request) -> Response:
    visitor, refused = await supervisor(inbox, request)
    if refused is not None:
        return refused
    canned_id = request.path_params.get("canned_id")
    form = await inbox.form(request, visitor)
    typed = form if form is not None else {
        k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    item = Canned(id=canned_id or typed.get("id", "").strip(), title=typed.get("title", ""),
                  lang=typed.get("lang", ""), body=typed.get("body", ""))
    error, status = ("csrf", 403) if form is None else (None, 200)
    if form is not None:
        try:
            await run_in_threadpool(save_canned, canned_folder(inbox), item,
                                    new=canned_id is None)
        except CannedError as exc:
            error, status = str(exc), 404 if str(exc) == "canned_missing" else 400
    if error is not None:   # nothing saved; what was typed is shown again
        return inbox.render(request, visitor, CANNED_FORM, status, error=t(error, visitor.lang),
                            item=item, new=canned_id is None, langs=LANGS)
    log.info("agent:%s saved canned response %s", visitor.email, item.id)
    return inbox.finish(RedirectResponse("/agent/settings?done=1#canned", 303), visitor)


async def canned_delete(inbox: Inbox, request: Request) -> Response:
    visitor, _form, refused = await supervisor_form(inbox, request)
    if refused is not None:
        return refused
    canned_id = request.path_params["canned_id"]
    if not await run_in_threadpool(delete_canned, canned_folder(inbox), canned_id):
        return await page_error(inbox, request, visitor, t("canned_missing", visitor.lang), 404)
    log.info("agent:%s deleted canned response %s", visitor.email, canned_id)
    return inbox.finish(RedirectResponse("/agent/settings?done=1#canned", 303), visitor)


def settings_routes(inbox: Inbox) -> list[Route]:
    return [
        Route("/settings", endpoint(settings_page, inbox), methods=["GET"]),
        Route("/settings/agents/invite", endpoint(invite_agent, inbox), methods=["POST"]),
        Route("/settings/agents/unlock", endpoint(unlock_agent, inbox), methods=["POST"]),
        Route("/settings/canned/new", endpoint(canned_form, inbox), methods=["GET"]),
        Route("/settings/canned", endpoint(canned_save, inbox), methods=["POST"]),
        Route("/settings/canned/{canned_id}", endpoint(canned_form, inbox), methods=["GET"]),
        Route("/settings/canned/{canned_id}", endpoint(canned_save, inbox), methods=["POST"]),
        Route("/settings/canned/{canned_id}/delete", endpoint(canned_delete, inbox),
              methods=["POST"]),
    ]
