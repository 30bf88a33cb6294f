"""Sign-in, sign-out, the one-time invite link (choose a password) and the UI language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.store.db import transaction
from bot.web.agent.accounts import (
    AccountError,
    check_password,
    find_account,
    find_invited,
    set_password,
)
from bot.web.agent.core import Inbox
from bot.web.agent.sessions import WebSession, signed_in
from bot.web.agent.words import LANGUAGES, t


def safe_next(value: str | None) -> str:
    """Only a path inside the inbox: never an open redirect."""
    if value and value.startswith("/agent/") and not value.startswith("//"):
        return value
    return "/agent/"


def error_text(code: str, lang: str) -> str:
    name, _, number = code.partition(":")
    return t(name, lang, n=number) if number else t(name, lang)


def auth_routes(inbox: Inbox) -> list[Route]:
    async def sign_in_page(request: Request) -> Response:
        visitor = await inbox.visitor(request)
        return inbox.render(request, visitor, "agent/sign_in.html",
                            next=safe_next(request.query_params.get("next")))

    async def sign_in(request: Request) -> Response:
        visitor = await inbox.visitor(request)
        form = await inbox.form(request, visitor)
        if form is None:
            return inbox.render(request, visitor, "agent/sign_in.html", 403,
                                error=t("csrf", visitor.lang), next="/agent/")
        email = form.get("email", "").strip().lower()
        outcome, epoch = await run_in_threadpool(try_password, inbox, email,
                                                 form.get("password", ""))
        if not outcome:
            status = 429 if epoch < 0 else 401
            return inbox.render(request, visitor, "agent/sign_in.html", status,
                                error=t("locked" if epoch < 0 else "bad_credentials",
                                        visitor.lang), email=email, next=form.get("next"))
        visitor.session = signed_in(email, epoch, inbox.now())
        return inbox.finish(RedirectResponse(safe_next(form.get("next")), 303), visitor)

    async def sign_out(request: Request) -> Response:
        visitor = await inbox.visitor(request)
        if await inbox.form(request, visitor) is None:
            return inbox.render(request, visitor, "agent/sign_in.html", 403,
                                error=t("csrf", visitor.lang), next="/agent/")
        if visitor.agent is not None:
            await run_in_threadpool(end_sessions, inbox, visitor.email)
        visitor.session = WebSession(fresh=True)
        return inbox.finish(RedirectResponse("/agent/sign-in", 303), visitor)

    return [Route("/sign-in", sign_in_page, methods=["GET"]),
            Route("/sign-in", sign_in, methods=["POST"]),
            Route("/sign-out", sign_out, methods=["POST"]),
            *invite_routes(inbox), Route("/language", language_route(inbox), methods=["POST"])]


def try_password(inbox: Inbox, email: str, password: str) -> tuple[bool, int]:
    """(signed in, session epoch); epoch -1 means locked out."""
    with transaction(inbox.runtime.factory) as session:
        outcome = check_password(session, inbox.config, email, password, inbox.now())
        account = find_account(session, email)
        epoch = account.session_epoch if account else 0
    return outcome.ok, (-1 if outcome.reason == "locked" else epoch)


def end_sessions(inbox: Inbox, email: str) -> None:
    with transaction(inbox.runtime.factory) as session:
        account = find_account(session, email)
        if account is not None:
            account.session_epoch += 1


def invite_routes(inbox: Inbox) -> list[Route]:
    async def invite_page(request: Request) -> Response:
        visitor = await inbox.visitor(request)
        token = request.path_params["token"]
        email = await run_in_threadpool(invited_email, inbox, token)
        if email is None:
            return inbox.render(request, visitor, "agent/invite.html", 404,
                                error=t("bad_invite", visitor.lang))
        return inbox.render(request, visitor, "agent/invite.html", email=email)

    async def accept(request: Request) -> Response:
        visitor = await inbox.visitor(request)
        form = await inbox.form(request, visitor)
        if form is None:
            return inbox.render(request, visitor, "agent/invite.html", 403,
                                error=t("csrf", visitor.lang))
        done = await run_in_threadpool(use_invite, inbox, request.path_params["token"],
                                       form.get("password", ""), form.get("confirm", ""))
        if isinstance(done, str):
            status = 404 if done == "bad_invite" else 400
            return inbox.render(request, visitor, "agent/invite.html", status,
                                error=error_text(done, visitor.lang))
        visitor.session = signed_in(*done, inbox.now())
        return inbox.finish(RedirectResponse("/agent/", 303), visitor)

    return [Route("/invite/{token}", invite_page, methods=["GET"]),
            Route("/invite/{token}", accept, methods=["POST"])]


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


def language_route(inbox: Inbox) -> Callable[[Request], Awaitable[Response]]:
    async def language(request: Request) -> Response:
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
    return language


def save_language(inbox: Inbox, email: str, choice: str) -> None:
    with transaction(inbox.runtime.factory) as session:
        account = find_account(session, email)
        if account is not None:
            account.language = choice
