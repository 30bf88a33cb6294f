"""Insert one ORM object at once, without a session flush, when its id is needed mid-turn.

A flush walks the whole unit of work; a turn that needs a new conversation's or ticket's id
used to flush two or three times. `insert_now` runs one prebuilt INSERT … RETURNING id and
attaches the object as if it had been loaded: later changes to it are ordinary UPDATEs that
go out with the turn's single flush.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Insert, insert, inspect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached


@cache
def insert_returning_id(mapper: Mapper[Any]) -> Insert:
    table = mapper.local_table
    return insert(table).returning(table.c.id)  # type: ignore[arg-type]


@cache
def column_defaults(mapper: Mapper[Any]) -> tuple[tuple[str, str, Any], ...]:
    """(attribute, column, default) for every non-key column; callables are called per row."""
    found = []
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        if column.primary_key:
            continue
        default = column.default
        value: Any = None
        if default is not None and default.is_scalar:
            value = default.arg  # type: ignore[attr-defined]
        elif default is not None and default.is_callable:
            value = default
        found.append((attr.key, column.key, value))
    return tuple(found)


def insert_now(session: Session, obj: object) -> None:
    """INSERT `obj` now (in the session's transaction) and make it persistent in `session`."""
    mapper = inspect(obj).mapper
    state = obj.__dict__
    values: dict[str, Any] = {}
    for key, column, default in column_defaults(mapper):
        if key not in state:
            value = default.arg(None) if hasattr(default, "is_callable") else default
            setattr(obj, key, value)
        values[column] = getattr(obj, key)
    # On the session's connection: a Core statement, so nothing pending is flushed first.
    new_id = session.connection().execute(insert_returning_id(mapper), values).scalar_one()
    obj.id = new_id  # type: ignore[attr-defined]
    make_transient_to_detached(obj)   # loaded state, no history: nothing left to INSERT
    session.add(obj)
