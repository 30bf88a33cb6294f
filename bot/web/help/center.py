"""The help center's shared state: runtime, templates, cached catalogue, CSRF, limits, hours."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from bot.app import Runtime
from bot.engine.reply_times import render_week, render_when
from bot.store.secret_key import signing_key
from bot.web.help.articles import Group, grouped
from bot.web.help.words import WORDS, pick_language
from channels.rate_limits import Rule, client_ip
from scheduler.business_hours import describe_week, is_open, next_opening

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LANG_COOKIE = "atiende_help_lang"
CSRF_COOKIE = "atiende_help_csrf"
MAX_QUERY = 300
SEARCHES_PER_MINUTE = 60   # per IP address
VOTES_PER_MINUTE = 20


@dataclass(frozen=True)
class Hours:
    open: bool
    week: str
    zone: str
    next_opening: str | None


class HelpCenter:
    """Built once per app; articles are fixed for the life of the runtime, so the grouped
    catalogue is computed once per language."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.config = runtime.config
        self.templates = Jinja2Templates(directory=str(TEMPLATES))  # autoescape on for .html
        self.catalogues: dict[str, tuple[Group, ...]] = {}
        self.listings: dict[str, Markup] = {}
        self.limiter = runtime.rate_limiter
        self.searches = Rule("help_search", SEARCHES_PER_MINUTE, 60)
        self.votes = Rule("help_vote", VOTES_PER_MINUTE, 60)
        self.key: bytes | None = None

    def groups(self, lang: str) -> tuple[Group, ...]:
        if lang not in self.catalogues:
            self.catalogues[lang] = grouped(self.runtime.ctx.articles.values(), lang,
                                            WORDS[lang]["general"])
        return self.catalogues[lang]

    def listing(self, lang: str) -> Markup:
        """The home page's article list, rendered once per language (5,000 articles cost
        a second to render on a busy machine; they never change while serving)."""
        if lang not in self.listings:
            template = self.templates.get_template("help/listing.html")
            self.listings[lang] = Markup(template.render(groups=self.groups(lang)))
        return self.listings[lang]

    def lang(self, request: Request) -> str:
        return pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                             request.headers.get("accept-language"),
                             self.config.bot.default_language)

    def hours(self, lang: str) -> Hours:
        calendar = self.runtime.ctx.calendar
        now = self.runtime.clock.now()
        zone = ZoneInfo(self.config.business_hours.timezone)
        opening = None if is_open(calendar, now) else next_opening(calendar, now)
        when = (render_when(opening.astimezone(zone), now.astimezone(zone), lang)
                if opening else None)
        label = self.config.bot.timezone_label.get(lang) or self.config.business_hours.timezone
        return Hours(is_open(calendar, now), render_week(describe_week(calendar), lang), label,
                     when)

    def csrf_key(self) -> bytes:
        if self.key is None:
            self.key = signing_key(self.runtime.factory) + b"/help-center"
        return self.key

    def csrf_token(self, nonce: str) -> str:
        return hmac.new(self.csrf_key(), nonce.encode(), hashlib.sha256).hexdigest()

    async def allow(self, rule: Rule, request: Request) -> bool:
        """Book a hit of `rule` for the caller's IP address; False when over the limit."""
        return (await self.limiter.hit(rule, client_ip(request))).allowed

    def csrf_ok(self, request: Request, given: object) -> bool:
        nonce = request.cookies.get(CSRF_COOKIE, "")
        return (bool(nonce) and isinstance(given, str)
                and hmac.compare_digest(self.csrf_token(nonce), given))

    def page(self, request: Request, name: str, lang: str, status: int = 200,
             **values: Any) -> Response:
        nonce = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(16)
        context = {"w": WORDS[lang], "lang": lang, "other": "en" if lang == "es" else "es",
                   "company": self.config.bot.company_name, "brand": self.config.branding,
                   "hours": self.hours(lang), "csrf": self.csrf_token(nonce),
                   "widget": self.config.channels.web is not None, "mail": self.support_mail(),
                   **values}
        response = self.templates.TemplateResponse(request, f"help/{name}", context,
                                                   status_code=status)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline';"
            " connect-src 'self'; frame-ancestors 'self'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        if request.query_params.get("lang") == lang:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
        if CSRF_COOKIE not in request.cookies:
            response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="lax")
        return response

    def support_mail(self) -> str | None:
        email = self.config.channels.email
        return self.config.branding.support_email or (email.support_address if email else None)

    def now(self) -> datetime:
        return self.runtime.clock.now()
