"""The help center's pages: home, search (the bot's matcher), article, "¿Te ayudó?" votes."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.store.db import transaction
from bot.store.models import KbFeedback
from bot.store.persist import add_row
from bot.web.help.articles import to_html
from bot.web.help.center import MAX_QUERY, HelpCenter
from bot.web.help.words import WORDS
from kb.loader import Article
from kb.matcher import best_match

MAX_RESULTS = 5


class HelpPages:
    def __init__(self, center: HelpCenter) -> None:
        self.center = center

    def routes(self) -> list[Route]:
        return [Route("/", self.home, methods=["GET"]),
                Route("/search", self.search, methods=["GET"]),
                Route("/articles/{article_id}", self.article, methods=["GET"]),
                Route("/articles/{article_id}/feedback", self.feedback, methods=["POST"])]

    def say(self, request: Request, lang: str, key: str, status: int, **values: object) -> Response:
        text = WORDS[lang][key].format(**values)
        return self.center.page(request, "message.html", lang, status=status, text=text)

    def find(self, request: Request) -> Article | None:
        return self.center.runtime.ctx.articles.get(request.path_params["article_id"])

    async def home(self, request: Request) -> Response:
        lang = self.center.lang(request)
        return self.center.page(request, "home.html", lang, listing=self.center.listing(lang))

    async def search(self, request: Request) -> Response:
        lang = self.center.lang(request)
        query = request.query_params.get("q", "").strip()
        if len(query) > MAX_QUERY:
            return self.say(request, lang, "too_long", 400, n=MAX_QUERY)
        if not query:
            return RedirectResponse(f"/help/?lang={lang}", status_code=303)
        if not await self.center.allow(self.center.searches, request):
            return self.say(request, lang, "too_many", 429)
        articles = self.center.runtime.ctx.articles
        match = await run_in_threadpool(best_match, self.center.runtime.ctx.kb_index, query, lang)
        best = articles.get(match.article_id or "") if match.answered else None
        others = [articles[c.article_id] for c in match.candidates
                  if c.article_id in articles and (best is None or c.article_id != best.id)]
        return self.center.page(request, "search.html", lang, query=query, best=best,
                                best_html=to_html(best.body) if best else "",
                                others=others[:MAX_RESULTS])

    async def article(self, request: Request) -> Response:
        found = self.find(request)
        if found is None:
            return self.say(request, self.center.lang(request), "not_found", 404)
        return self.center.page(request, "article.html", found.lang, article=found,
                                html=to_html(found.body), voted=request.query_params.get("voted"),
                                query=request.query_params.get("q", "")[:MAX_QUERY])

    async def feedback(self, request: Request) -> Response:
        found = self.find(request)
        lang = self.center.lang(request)
        if found is None:
            return self.say(request, lang, "not_found", 404)
        form = await request.form(max_files=0, max_fields=8)
        helpful = form.get("helpful")
        if not self.center.csrf_ok(request, form.get("csrf")) or helpful not in ("yes", "no"):
            return self.say(request, lang, "bad_form", 400)
        if not await self.center.allow(self.center.votes, request):
            return self.say(request, lang, "too_many", 429)
        question = str(form.get("q") or "")[:MAX_QUERY]
        await run_in_threadpool(record_vote, self.center, found.id, found.lang,
                                helpful == "yes", question)
        return RedirectResponse(f"/help/articles/{found.id}?voted={helpful}", status_code=303)


def record_vote(center: HelpCenter, article_id: str, lang: str, helpful: bool,
                question: str) -> None:
    """The same row as a "¿Te ayudó?" answered in a chat (`atiende kb stats` counts both)."""
    with transaction(center.runtime.factory) as session:
        add_row(session, KbFeedback, {"article_id": article_id, "lang": lang, "helpful": helpful,
                                      "question": question, "conversation_id": None,
                                      "at": center.now()})
