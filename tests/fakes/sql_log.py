"""The SQL an engine sends while a block runs, for tests that count or inspect statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event


@contextmanager
def executed(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Within: every statement `engine` sends, with its parameters, in order."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: object, _cursor: object, statement: str, parameters: Any,
                *_rest: object) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def skip_unless_sqlite(engine: Engine) -> None:
    """`sqlite_steps` counts SQLite's work: elsewhere the test has nothing to count."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's virtual machine counts the work; PostgreSQL runs the same SQL")


@contextmanager
def sqlite_steps(engine: Engine, every: int = 10) -> Iterator[list[int]]:
    """Within: SQLite's virtual-machine steps (in units of `every`) on the connections checked
    out of `engine`'s pool during the block; the database's own work, counted, not timed."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    def watch(dbapi_connection: Any, *_: object) -> None:
        dbapi_connection.set_progress_handler(count, every)

    def unwatch(dbapi_connection: Any, *_: object) -> None:
        dbapi_connection.set_progress_handler(None, 0)

    event.listen(engine, "checkout", watch)
    event.listen(engine, "checkin", unwatch)
    try:
        yield steps
    finally:
        event.remove(engine, "checkout", watch)
        event.remove(engine, "checkin", unwatch)
