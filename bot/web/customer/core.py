"""The customers' pages' shared state: runtime, templates, session cookie, limits, rendering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from bot.app import Runtime
from bot.store.secret_key import signing_key
from bot.web.agent.core import HTMX, TEMPLATES
from bot.web.agent.sessions import SessionCodec, WebSession, is_valid_csrf
from bot.web.customer.limits import Limits
from bot.web.customer.uploads import FormRefused, Upload, read_form
from bot.web.customer.words import LANGUAGES, from_accept_language, t
from channels.rate_limits import client_ip

T = TypeVar("T")
COOKIE = "atiende_customer"
LANG_COOKIE = "atiende_customer_lang"


@dataclass
class Customer:
    """The request's session (CSRF token always; the email once signed in) and language."""

    session: WebSession
    lang: str
    chose_language: bool = False

    @property
    def email(self) -> str | None:
        return self.session.email


class Portal:
    """Built once per app from the runtime; the route modules share it."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.config = runtime.config
        self.settings = runtime.config.customer_web
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        self.zone = ZoneInfo(self.config.business_hours.timezone)
        s = self.settings
        self.limits = Limits(runtime.rate_limiter, s.new_tickets_per_hour,
                             s.sign_ins_per_hour, s.posts_per_minute, s.suggestions_per_minute)
        self.built_codec: SessionCodec | None = None

    @property
    def codec(self) -> SessionCodec:
        """Made at the first request: the key may live in the database (bot.store.secret_key)."""
        if self.built_codec is None:
            key = signing_key(self.runtime.factory) + b"/customer-web"
            self.built_codec = SessionCodec(
                key, timedelta(hours=self.settings.session_hours), self.settings.secure_cookies,
                cookie=COOKIE, salt="atiende.customer-session", path="/")
        return self.built_codec

    def now(self) -> datetime:
        return self.runtime.clock.now()

    def customer(self, request: Request) -> Customer:
        chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
        lang = chosen if chosen in LANGUAGES else from_accept_language(
            request.headers.get("accept-language"), self.config.bot.default_language)
        chose = request.query_params.get("lang") in LANGUAGES
        return Customer(self.codec.read(request, self.now()), lang, chose)

    async def allow(self, bucket: str, request: Request) -> bool:
        return await self.limits.allow(bucket, client_ip(request))

    def render(self, request: Request, customer: Customer, name: str, status: int = 200,
               **context: Any) -> Response:
        lang = customer.lang
        values = {"t": lambda key, **kw: t(key, lang, **kw), "lang": lang,
                  "csrf": customer.session.csrf, "htmx": HTMX, "signed_in": customer.email,
                  "company": self.config.bot.company_name, "local": self.local, **context}
        response = self.templates.TemplateResponse(request, name, values, status_code=status)
        return self.finish(response, customer)

    def refuse(self, request: Request, customer: Customer, key: str, status: int,
               **values: object) -> Response:
        """A 4xx page that says why."""
        return self.render(request, customer, "customer/message.html", status,
                           error=t(key, customer.lang, **values))

    def finish(self, response: Response, customer: Customer) -> Response:
        if customer.session.fresh:
            self.codec.write(response, customer.session)
        if customer.chose_language:
            response.set_cookie(LANG_COOKIE, customer.lang, path="/", samesite="lax")
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    def local(self, at: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return at.astimezone(self.zone).strftime(fmt) if at else "—"

    async def form(self, request: Request,
                   customer: Customer) -> tuple[dict[str, str], list[Upload]]:
        """The posted fields and files; FormRefused for a bad CSRF token or size."""
        fields, files = await read_form(request, self.settings)
        if not is_valid_csrf(customer.session, fields.get("csrf")):
            raise FormRefused("csrf", 403)
        return fields, files

    async def spend_posted_link(self, request: Request, customer: Customer,
                                spend: Callable[[Portal, str], T | None]) -> T | Response:
        """A mailed link's POST: the form checked, then `spend(portal, token)` in a thread;
        its result, or the page that says why not (a refused form, a dead link)."""
        try:
            await self.form(request, customer)
        except FormRefused as refused:
            return self.refuse(request, customer, refused.key, refused.status)
        spent = await run_in_threadpool(spend, self, request.path_params["token"])
        if spent is None:
            return self.refuse(request, customer, "bad_link", 404)
        return spent
