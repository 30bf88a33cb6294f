"""Sign-in, sign-out, the one-time invite link (choose a password) and the UI language."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.store.db import transaction
from bot.web.agent.accounts import (
    AccountError,
    SignIn,
    check_password,
    find_account,
    find_invited,
    set_password,
)
from bot.web.agent.core import Inbox, Visitor, endpoint
from bot.web.agent.sessions import WebSession, signed_in
from bot.web.agent.words import LANGUAGES, error_text, t

SIGN_IN = "agent/sign_in.html"
INVITE = "agent/invite.html"


def safe_next(value: str | None) -> str:
    """Only a path inside the inbox: never an open redirect."""
    if value and value.startswith("/agent/") and not value.startswith("//"):
        return value
    return "/agent/"


def expired_form(inbox: Inbox, request: Request, visitor: Visitor, page: str) -> Response:
    return inbox.render(request, visitor, page, 403, error=t("csrf", visitor.lang),
                        next="/agent/")


async def sign_in_page(inbox: Inbox, request: Request) -> Response:
    visitor = await inbox.visitor(request)
    return inbox.render(request, visitor, SIGN_IN,
                        next=safe_next(request.query_params.get("next")))


async def sign_in(inbox: Inbox, request: Request) -> Response:
    visitor = await inbox.visitor(request)
    form = await inbox.form(request, visitor)
    if form is None:
        return expired_form(inbox, request, visitor, SIGN_IN)
    email = form.get("email", "").strip().lower()
    outcome, epoch = await run_in_threadpool(try_password, inbox, email,
                                             form.get("password", ""))
    if not outcome.ok:
        return inbox.render(request, visitor, SIGN_IN, 429 if outcome.reason == "locked" else 401,
                            error=t(outcome.reason, visitor.lang), email=email,
                            next=form.get("next"))
    visitor.session = signed_in(email, epoch, inbox.now())
    return inbox.finish(RedirectResponse(safe_next(form.get("next")), 303), visitor)


async def sign_out(inbox: Inbox, request: Request) -> Response:
    visitor = await inbox.visitor(request)
    if await inbox.form(request, visitor) is None:
        return expired_form(inbox, request, visitor, SIGN_IN)
    if visitor.agent is not None:
        await run_in_threadpool(end_sessions, inbox, visitor.email)
    visitor.session = WebSession(fresh=True)
    return inbox.finish(RedirectResponse("/agent/sign-in", 303), visitor)


def try_password(inbox: Inbox, email: str, password: str) -> tuple[SignIn, int]:
    """The outcome and the account's session epoch."""
    with transaction(inbox.runtime.factory) as session:
        outcome = check_password(session, inbox.config, email, password, inbox.now())
        account = find_account(session, email)
        return outcome, (account.session_epoch if account else 0)


def end_sessions(inbox: Inbox, email: str) -> None:
    with transaction(inbox.runtime.factory) as session:
        account = find_account(session, email)
        if account is not None:
            account.session_epoch += 1


async def invite_page(inbox: Inbox, request: Request) -> Response:
    visitor = await inbox.visitor(request)
    email = await run_in_threadpool(invited_email, inbox, request.path_params["token"])
    if email is None:
        return inbox.render(request, visitor, INVITE, 404, error=t("bad_invite", visitor.lang))
    return inbox.render(request, visitor, INVITE, email=email)


async def accept_invite(inbox: Inbox, request: Request) -> Response:
    visitor = await inbox.visitor(request)
    form = await inbox.form(request, visitor)
    if form is None:
        return expired_form(inbox, request, visitor, INVITE)
    done = await run_in_threadpool(use_invite, inbox, request.path_params["token"],
                                   form.get("password", ""), form.get("confirm", ""))
    if isinstance(done, str):
        return inbox.render(request, visitor, INVITE, 404 if done == "bad_invite" else 400,
                            error=error_text(done, visitor.lang))
    visitor.session = signed_in(*done, inbox.now())
    return inbox.finish(RedirectResponse("/agent/", 303), visitor)


def invited_email(inbox: Inbox, token: str) -> str | None:
    with inbox.runtime.factory() as session:
        account = find_invited(session, token, inbox.now())
        return account.email if account else None


def use_invite(inbox: Inbox, token: str, password: str, confirm: str) -> tuple[str, int] | str:
    """(email, epoch) once the password is set; else the error code to show."""
    with transaction(inbox.runtime.factory) as session:
        account = find_invited(session, token, inbox.now())
        if account is None or inbox.config.find_agent(account.email) is None:
            return "bad_invite"
        try:
            set_password(account, password, confirm, inbox.now())
        except AccountError as exc:
            return str(exc)
        return account.email, account.session_epoch


async def language(inbox: Inbox, request: Request) -> Response:
    visitor = await inbox.visitor(request)
    form = await inbox.form(request, visitor)
    choice = (form or {}).get("lang", "")
    if form is None or choice not in LANGUAGES:
        return inbox.finish(Response("bad language or form", 400), visitor)
    if visitor.agent is not None:
        await run_in_threadpool(save_language, inbox, visitor.email, choice)
    response = RedirectResponse(safe_next(form.get("next")), 303)
    response.set_cookie("atiende_lang", choice, path="/agent", samesite="strict")
    return inbox.finish(response, visitor)


def save_language(inbox: Inbox, email: str, choice: str) -> None:
    with transaction(inbox.runtime.factory) as session:
        account = find_account(session, email)
        if account is not None:
            account.language = choice


def auth_routes(inbox: Inbox) -> list[Route]:
    return [Route("/sign-in", endpoint(sign_in_page, inbox), methods=["GET"]),
            Route("/sign-in", endpoint(sign_in, inbox), methods=["POST"]),
            Route("/sign-out", endpoint(sign_out, inbox), methods=["POST"]),
            Route("/invite/{token}", endpoint(invite_page, inbox), methods=["GET"]),
            Route("/invite/{token}", endpoint(accept_invite, inbox), methods=["POST"]),
            Route("/language", endpoint(language, inbox), methods=["POST"])]
