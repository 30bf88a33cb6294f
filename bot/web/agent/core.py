"""The inbox's shared state: runtime, templates, cookie codec, who is asking, page rendering."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from bot.app import Runtime
from bot.config.desk import AgentConfig
from bot.store.secret_key import signing_key
from bot.web.agent.accounts import find_account
from bot.web.agent.presence import Presence
from bot.web.agent.sessions import SessionCodec, WebSession, is_valid_csrf
from bot.web.agent.words import pick_language, t

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
HTMX = "htmx-2.0.11.min.js"


@dataclass
class Visitor:
    """The request's session and, when signed in, the configured agent behind it."""

    session: WebSession
    agent: AgentConfig | None
    lang: str

    @property
    def email(self) -> str:
        return self.agent.email if self.agent else ""


class Inbox:
    """Built once per app from the runtime; the route modules share it."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.config = runtime.config
        self.built_codec: SessionCodec | None = None
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        self.zone = ZoneInfo(self.config.business_hours.timezone)
        self.presence = Presence()

    @property
    def codec(self) -> SessionCodec:
        """Made at the first request: the key may live in the database (bot.relay)."""
        if self.built_codec is None:
            key = signing_key(self.runtime.factory) + b"/agent-inbox"
            self.built_codec = SessionCodec(key, timedelta(hours=self.config.inbox.session_hours),
                                            self.config.inbox.secure_cookies)
        return self.built_codec

    def now(self) -> datetime:
        return self.runtime.clock.now()

    async def visitor(self, request: Request) -> Visitor:
        web_session = self.codec.read(request, self.now())
        agent, language = None, None
        if web_session.email:
            agent, language = await run_in_threadpool(self.check_agent, web_session)
        lang = pick_language(language or request.cookies.get("atiende_lang"),
                             self.config.bot.default_language)
        return Visitor(web_session, agent, lang)

    def check_agent(self, web_session: WebSession) -> tuple[AgentConfig | None, str | None]:
        """Still configured, and no sign-out or password change since the cookie was made."""
        agent = self.config.find_agent(web_session.email or "")
        with self.runtime.factory() as session:
            account = find_account(session, web_session.email or "")
            if agent is None or account is None or account.session_epoch != web_session.epoch:
                return None, None
            return agent, account.language

    def to_sign_in(self, request: Request, visitor: Visitor) -> Response:
        """No session: a redirect for browsers, 401 for htmx and event streams."""
        if request.headers.get("hx-request") or request.url.path.endswith("/events"):
            return self.finish(Response(t("sign_in", visitor.lang), 401), visitor)
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return self.finish(RedirectResponse(f"/agent/sign-in?next={target}", 303), visitor)

    def render(self, request: Request, visitor: Visitor, name: str, status: int = 200,
               **context: Any) -> Response:
        lang = visitor.lang
        values = {"t": lambda key, **kw: t(key, lang, **kw), "lang": lang, "agent": visitor.agent,
                  "csrf": visitor.session.csrf, "htmx": HTMX, "local": self.local, **context}
        response = self.templates.TemplateResponse(request, name, values, status_code=status)
        return self.finish(response, visitor)

    def finish(self, response: Response, visitor: Visitor) -> Response:
        if visitor.session.fresh:
            self.codec.write(response, visitor.session)
        response.headers["Cache-Control"] = "no-store"
        return response

    def local(self, at: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return at.astimezone(self.zone).strftime(fmt) if at else "—"

    async def form(self, request: Request, visitor: Visitor) -> dict[str, str] | None:
        """The posted form as text fields, or None when its CSRF token is wrong."""
        form = await request.form()
        if not is_valid_csrf(visitor.session, form.get("csrf")):
            return None
        return {key: value for key, value in form.items() if isinstance(value, str)}


Endpoint = Callable[[Inbox, Request], Awaitable[Response]]


def endpoint(handler: Endpoint, inbox: Inbox) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint that calls `handler(inbox, request)`."""
    async def run(request: Request) -> Response:
        return await handler(inbox, request)
    return run
