"""Core statements run straight on the DBAPI cursor, for the few statements of the store's
hot path.

`Connection.execute` spends most of a small statement's time around the SQL: the execution
context, the compiled-cache lookup, parameters passed through several layers, the result
object. For a group of webhooks stored on SQLite that was about two thirds of the store's CPU
(`bench/webhook_throughput.py`, see the README). A `DriverStatement` is a Core statement
compiled once for the dialect, with SQLAlchemy's own bind and result processors for its
columns, run with one `cursor.execute`: the SQL and the type conversions stay SQLAlchemy's,
only the per-execution machinery is skipped. Positional paramstyles only (SQLite's qmark).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Insert, Select

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class DriverStatement:
    """One compiled statement: its SQL, its parameters' names in order with their bind
    processors, and a result processor per returned column."""

    sql: str
    names: tuple[str, ...]
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]

    @classmethod
    def compile(cls, statement: Select[Any] | Insert, dialect: Dialect) -> DriverStatement:
        compiled = statement.compile(dialect=dialect)
        if not compiled.positional or compiled.positiontup is None:
            raise ValueError(f"{dialect.name}: DriverStatement needs a positional paramstyle")
        names = tuple(compiled.positiontup)
        binds = tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                      for name in names)
        columns = statement.exported_columns  # a select's columns, an insert's RETURNING
        results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                        for column in columns)
        return cls(compiled.string, names, binds, results)

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run it in `connection`'s transaction; the returned rows, converted."""
        values = [value if bind is None else bind(value)
                  for value, bind in zip((params[name] for name in self.names), self.binds,
                                         strict=True)]
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.sql, values)
            fetched = cursor.fetchall() if self.results else []
        finally:
            cursor.close()
        return [convert(row, self.results) for row in fetched]


def convert(row: Sequence[Any], processors: tuple[Processor, ...]) -> tuple[Any, ...]:
    return tuple(value if process is None else process(value)
                 for value, process in zip(row, processors, strict=True))
