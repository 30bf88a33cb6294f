"""Composition root: build the database, knowledge base, clock and engine context from config."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from threadpoolctl import threadpool_limits

from bot.config.root import AtiendeConfig
from bot.config.scheduling import calendar_from_config
from bot.engine.pipeline import new_work
from bot.engine.turn import EngineContext
from bot.errors import ConfigError, DatabaseUnreachable
from bot.store.db import Timeouts, make_engine, make_session_factory
from bot.store.migrate import is_up_to_date, upgrade
from bot.store.rate_limits import shared_limiter
from channels.rate_limits import MemoryLimiter, RateLimiter
from kb.encoder import choose_encoder
from kb.knowledge import index_articles
from kb.loader import load_kb
from kb.vectors import default_cache_path
from scheduler.clock import Clock, SystemClock

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    config: AtiendeConfig
    engine: Engine
    factory: sessionmaker[Session]
    ctx: EngineContext
    on_outbox: Callable[[], None] | None = None   # set by `serve`: wakes the dispatcher

    def outbox_ready(self) -> None:
        """Rows were just queued outside a channel's turn (the web inbox): deliver them now
        rather than at the dispatcher's next tick."""
        if self.on_outbox is not None:
            self.on_outbox()

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        """The rate limits of the widget, the help center and the customers' pages. On
        PostgreSQL, where several workers may serve, counted in the database and shared by all
        (in memory while the database fails); on SQLite, one process by design, in memory: a
        write per hit would only add to every message's cost."""
        if self.engine.dialect.name != "postgresql":
            return MemoryLimiter(self.clock.now)
        return shared_limiter(self.engine, self.clock.now, time.monotonic)


def build_context(config: AtiendeConfig, clock: Clock | None = None) -> EngineContext:
    """Load and index the KB (raises KbInvalid with every problem)."""
    path = config.kb_path()
    if not path.is_dir():
        raise ConfigError(f"{config.source}: kb.path: folder {path} does not exist")
    articles = load_kb(path)
    choose_encoder(config.kb.encoder)
    return EngineContext(config=config, kb_index=index_articles(articles, default_cache_path(path)),
                         articles={article.id: article for article in articles},
                         clock=clock or SystemClock(),
                         calendar=calendar_from_config(config.business_hours),
                         work=new_work(config))


def timeouts_of(config: AtiendeConfig) -> Timeouts:
    database = config.database
    return Timeouts(database.connect_timeout_seconds, database.statement_timeout_seconds,
                    database.pool_timeout_seconds)


def bring_up_to_date(engine: Engine) -> None:
    """Migrate the schema; a database that cannot be reached is one line naming it."""
    try:
        if not is_up_to_date(engine):
            upgrade(engine)
            log.info("database schema upgraded")
    except (OperationalError, InterfaceError) as exc:
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        shown = engine.url.render_as_string(hide_password=True)
        raise DatabaseUnreachable(f"database.url: cannot use {shown}: {cause}") from None


def build_runtime(config: AtiendeConfig, clock: Clock | None = None,
                  migrate: bool = True) -> Runtime:
    """Everything a command needs; brings the schema up to date unless told not to."""
    one_blas_thread()
    engine = make_engine(config.database.url, timeouts_of(config))
    if migrate:
        bring_up_to_date(engine)
    return Runtime(config, engine, make_session_factory(engine), build_context(config, clock))


def one_blas_thread() -> None:
    """numpy's BLAS on one thread in this process, from now on. A message's products are tiny
    (a few vectors against the KB's phrasings); on two threads, a matrix product waited for
    a core that the server's other threads or another process held: measured with the other
    core busy, p99 4.1 ms and up to 16 ms for a 0.1 ms product (one thread: p99 0.16 ms)."""
    threadpool_limits(limits=1, user_api="blas")


WARM_UP_TEXTS = ("Hola, no puedo entrar a mi cuenta desde ayer, ¿qué hago?",
                 "Hi, the invoice I sent this morning was rejected, how do I fix it?")


def warm_up(runtime: Runtime) -> None:
    """Fit the triager before the first message (a second or two on a cold cache), load the
    language detector's models and run one message per language through what a turn computes
    ahead (language, KB match, triage: the word patterns compile on first use), so a server
    that is up is ready: the first turns do not wait for it, nor compete with storing."""
    from bot.engine.prepare import TurnInput, batch_triager, prepare
    from kb import language

    language.warm_up()   # the warm-up texts are clear by their words: lingua is not asked
    try:
        triager = batch_triager(runtime.factory, runtime.config)
        prepare(runtime.ctx.kb_index, runtime.config.bot.default_language,
                [TurnInput(text) for text in WARM_UP_TEXTS], triager)
    except Exception:  # the first routing batch fits it then, and reports what fails
        log.warning("triage warm-up failed; the first message fits it", exc_info=True)
