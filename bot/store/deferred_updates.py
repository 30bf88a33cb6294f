"""Column updates of loaded rows that a routing batch writes together, beside the unit of work.

Every object the unit of work finds changed costs a flush far more than its row costs the
database (its history, its UPDATE parameters, its bookkeeping afterwards): a batch of 32
turns changed 32 messages just to link each to its conversation and ticket and mark it
handled. `set_columns` puts such values on the object at once, as if loaded (the unit of work
never sees them), and keeps them for one `executemany` UPDATE per table and set of columns.
They are written before anything could read them back: before every flush and before every
query the session would autoflush for (the same moments the unit of work writes its own
changes), and by `write_updates` at the batch's end.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import Update, bindparam, event, update
from sqlalchemy.orm import ORMExecuteState, Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from bot.store.driver_sql import execute_many
from bot.store.persist import batch_scratch

UPDATES_KEY = "atiende_deferred_updates"
ROW_ID = "deferred_row_id"   # the parameters' names are no column's (SQLAlchemy keeps those)


@contextmanager
def deferred_updates(session: Session) -> Iterator[None]:
    """Within: `set_columns` defers its updates (written as the module docstring says)."""
    with batch_scratch(session, UPDATES_KEY):
        event.listen(session, "before_flush", before_flush)
        event.listen(session, "do_orm_execute", before_query)
        try:
            yield
        finally:
            event.remove(session, "do_orm_execute", before_query)
            event.remove(session, "before_flush", before_flush)


def set_columns(obj: Any, **values: Any) -> None:
    """Set these columns of a stored row: deferred when its session is inside
    `deferred_updates`, else set as usual (the unit of work writes them).

    A deferred row is not among the session's changed objects, so a routing batch's check for
    another customer's changes (`route.OthersWatch`) does not see it: use it for the turn's
    own rows (its message, conversation, ticket), or for columns no later turn looks up."""
    session = object_session(obj)
    updates: dict[type[Any], dict[int, dict[str, Any]]] | None = (
        session.info.get(UPDATES_KEY) if session is not None else None)
    if updates is None or obj.id is None:
        for name, value in values.items():
            setattr(obj, name, value)
        return
    for name, value in values.items():
        set_committed_value(obj, name, value)
    updates.setdefault(type(obj), {}).setdefault(obj.id, {}).update(values)


def write_updates(session: Session) -> None:
    """Write the deferred updates: one statement per table and set of columns."""
    updates: dict[type[Any], dict[int, dict[str, Any]]] = session.info.get(UPDATES_KEY) or {}
    for model, rows in updates.items():
        alike: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row_id, values in rows.items():
            alike.setdefault(tuple(sorted(values)), []).append(
                {ROW_ID: row_id, **{f"new_{name}": value for name, value in values.items()}})
        for columns, params in alike.items():
            execute_many(session.connection(), update_of(model, columns), params)
    updates.clear()


@cache
def update_of(model: type[Any], columns: tuple[str, ...]) -> Update:
    table = model.__table__
    return (update(table).where(table.c.id == bindparam(ROW_ID))
            .values({name: bindparam(f"new_{name}") for name in columns}))


def before_flush(session: Session, *_: object) -> None:
    write_updates(session)


def before_query(state: ORMExecuteState) -> None:
    if state.session.autoflush:   # what `no_autoflush` keeps from a query, it keeps from it
        write_updates(state.session)
