"""Insert one ORM object at once, without a session flush, when its id is needed mid-turn.

A flush walks the whole unit of work; a turn that needs a new conversation's or ticket's id
used to flush two or three times. `insert_now` runs one prebuilt INSERT … RETURNING id and
attaches the object as if it had been loaded: later changes to it are ordinary UPDATEs that
go out with the turn's single flush.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import cache
from typing import Any

from sqlalchemy import Insert, insert, inspect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached

from bot.store.driver_sql import execute_many


@cache
def insert_returning(mapper: Mapper[Any], unique_by: tuple[str, ...] = ()) -> Insert:
    """INSERT … RETURNING id, then the `unique_by` columns (built once per table and kind)."""
    table = mapper.local_table
    return insert(table).returning(table.c.id, *(table.c[column] for column in unique_by))  # type: ignore[arg-type]


@cache
def column_defaults(mapper: Mapper[Any]) -> tuple[tuple[str, str, Callable[[], Any]], ...]:
    """(attribute, column, default value maker) for every column but the key."""
    return tuple((attr.key, attr.columns[0].key, default_maker(attr.columns[0].default))
                 for attr in mapper.column_attrs if not attr.columns[0].primary_key)


def default_maker(default: Any) -> Callable[[], Any]:
    """A column's Python-side default as a function: called per row (`default=dict` gives
    each row its own dict)."""
    if default is None:
        return lambda: None
    if default.is_callable:
        return lambda: default.arg(None)   # SQLAlchemy wraps callables to take a context
    return lambda: default.arg


def insert_now(session: Session, obj: object) -> None:
    """INSERT `obj` now (in the session's transaction) and make it persistent in `session`."""
    mapper = inspect(obj).mapper
    # On the session's connection: a Core statement, so nothing pending is flushed first.
    new_id = session.connection().execute(insert_returning(mapper),
                                          row_values(mapper, obj)).scalar_one()
    attach_inserted(session, obj, new_id)


def insert_all(session: Session, objs: Sequence[object], unique_by: tuple[str, ...]) -> None:
    """insert_now for several objects of one class, in one statement.

    The database gives the new ids back in no promised order (SQLAlchemy would fall back to
    one INSERT per row to keep it), so each comes back with the `unique_by` columns, whose
    values must tell the objects apart.
    """
    if len(objs) < 2:
        for obj in objs:
            insert_now(session, obj)
        return
    mapper = inspect(objs[0]).mapper
    rows = [row_values(mapper, obj) for obj in objs]
    waiting = {tuple(row[column] for column in unique_by): obj for row, obj in zip(
        rows, objs, strict=True)}
    if len(waiting) < len(objs):
        raise ValueError(f"insert_all: rows are not unique by {unique_by}")
    statement = insert_returning(mapper, unique_by)
    for new_id, *key in session.connection().execute(statement, rows):
        attach_inserted(session, waiting.pop(tuple(key)), new_id)


def row_values(mapper: Mapper[Any], obj: object) -> dict[str, Any]:
    """Every column's value for the INSERT, filling in the column defaults."""
    state = obj.__dict__   # the instance's attribute values (SQLAlchemy keeps them here)
    values: dict[str, Any] = {}
    for key, column, make_default in column_defaults(mapper):
        if key not in state:
            # Written straight into the instance: it is about to be marked as loaded, so
            # there is no history to keep (and each instrumented set costs an event).
            state[key] = make_default()
        values[column] = state[key]
    return values


def attach_inserted(session: Session, obj: object, new_id: int) -> None:
    obj.id = new_id  # type: ignore[attr-defined]
    make_transient_to_detached(obj)   # loaded state, no history: nothing left to INSERT
    session.add(obj)


ROWS_KEY = "atiende_deferred_rows"


@contextmanager
def batch_scratch(session: Session, key: str) -> Iterator[None]:
    """Within: `session.info[key]` is a dict a routing batch fills and reads; gone after."""
    session.info[key] = {}
    try:
        yield
    finally:
        session.info.pop(key, None)


def deferred_rows(session: Session) -> AbstractContextManager[None]:
    """Within: `add_row` collects append-only rows; `write_rows` writes them in one statement
    per table (a routing batch writes dozens of audit rows; nothing reads them back in it)."""
    return batch_scratch(session, ROWS_KEY)


def defers_rows(session: Session) -> bool:
    """Whether `session` is inside `deferred_rows` (a routing batch)."""
    return ROWS_KEY in session.info


def add_row(session: Session, model: type[Any], values: dict[str, Any]) -> None:
    """An append-only row (audit event, KB feedback): deferred inside `deferred_rows`, else
    added to the session like any object. Give every column, so rows batch together."""
    rows = session.info.get(ROWS_KEY)
    if rows is None:
        session.add(model(**values))
    else:
        rows.setdefault(model, []).append(values)


def write_rows(session: Session, only: type[Any] | None = None) -> None:
    """Write the rows `add_row` deferred (the tables they point to are already written), or
    only those of the table `only`."""
    rows: dict[type[Any], list[dict[str, Any]]] = session.info.get(ROWS_KEY) or {}
    for model in [only] if only is not None else list(rows):
        batch = rows.pop(model, None)
        if batch:
            execute_many(session.connection(), insert_rows(model), batch)


def is_deferred(session: Session, model: type[Any], values: dict[str, Any]) -> bool:
    """Whether these values (as given to `add_row`) still wait for `write_rows`: until then
    the row can still be changed by changing them."""
    rows = session.info.get(ROWS_KEY) or {}
    return any(row is values for row in rows.get(model, ()))


@cache
def insert_rows(model: type[Any]) -> Insert:
    return insert(model.__table__)
