"""The Starlette app: health, Prometheus metrics, and the routes channel adapters add."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.app import Runtime
from bot.engine.outbox import OUTBOX_STATUSES, count_by_status
from bot.web import metrics

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def database_ok(runtime: Runtime) -> bool:
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def read_outbox_gauge(runtime: Runtime) -> None:
    """Outbox rows per status (dead letters included) as every worker sees them."""
    try:
        with runtime.factory() as session:
            counts = count_by_status(session)
    except SQLAlchemyError:
        return  # /healthz reports the database; metrics still answer
    for status in OUTBOX_STATUSES:
        metrics.OUTBOX_ROWS.labels(status).set(counts.get(status, 0))


def create_web_app(runtime: Runtime, routes: Sequence[BaseRoute] = (),
                   lifespan: Lifespan | None = None) -> Starlette:
    async def healthz(_request: Request) -> JSONResponse:
        ok = await run_in_threadpool(database_ok, runtime)
        body = {"status": "ok" if ok else "degraded", "database": "ok" if ok else "unreachable",
                "kb_articles": len(runtime.ctx.articles)}
        return JSONResponse(body, status_code=200 if ok else 503)

    async def metrics(_request: Request) -> Response:
        await run_in_threadpool(read_outbox_gauge, runtime)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    base = [Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"])]
    return Starlette(routes=[*base, *routes], lifespan=lifespan or no_lifespan)


@asynccontextmanager
async def no_lifespan(_app: Starlette) -> AsyncIterator[None]:
    yield
