"""The Starlette app: health, metrics, the agents' inbox (/agent/) and the channels' routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.app import Runtime
from bot.web.db_gauges import read_database_gauges

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def database_ok(runtime: Runtime) -> bool:
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def create_web_app(runtime: Runtime, routes: Sequence[BaseRoute] = (),
                   lifespan: Lifespan | None = None,
                   channel_health: Callable[[], dict[str, str]] | None = None) -> Starlette:
    """`channel_health` (from `serve`): each channel's "ok" or "degraded: why" for /healthz.

    The channels' `routes` (webhooks, the widget's API) come first: Starlette tries routes in
    order, and a webhook is the path every inbound message takes, so it is matched before the
    pages' routes (some 10 µs a request saved with ~20 of them)."""

    async def healthz(_request: Request) -> JSONResponse:
        ok = await run_in_threadpool(database_ok, runtime)
        body: dict[str, object] = {"status": "ok" if ok else "degraded",
                                   "database": "ok" if ok else "unreachable",
                                   "kb_articles": len(runtime.ctx.articles)}
        if channel_health is not None:
            channels = channel_health()
            body["channels"] = channels
            if any(state != "ok" for state in channels.values()):
                body["status"] = "degraded"  # still 200: the web side and the database work
        return JSONResponse(body, status_code=200 if ok else 503)

    async def metrics(_request: Request) -> Response:
        await run_in_threadpool(read_database_gauges, runtime)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    from bot.web.agent import inbox_routes
    from bot.web.customer import customer_routes  # /tickets/new and /my/ (customers)
    from bot.web.help import help_routes  # the help center at /help/

    base = [Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]), *inbox_routes(runtime),
            *help_routes(runtime), *customer_routes(runtime)]
    return Starlette(routes=[*routes, *base], lifespan=lifespan or no_lifespan)


@asynccontextmanager
async def no_lifespan(_app: Starlette) -> AsyncIterator[None]:
    yield
