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
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import CompileError
from sqlalchemy.sql import Insert, Select, Update

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class DriverStatement:
    """One compiled statement: its SQL, its parameters' names in order with their bind
    processors, and a result processor per returned column."""

    sql: str
    names: tuple[str, ...]
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]
    fixed: Mapping[str, Any]   # the values written into the statement ("status = 'held'")

    @classmethod
    def compile(cls, statement: Select[Any] | Insert | Update, dialect: Dialect,
                keys: Sequence[str] | None = None) -> DriverStatement:
        """`keys`: an INSERT's or UPDATE's columns given per row (else its `values`); a
        column default SQLAlchemy would compute per row is refused (ValueError)."""
        compiled = statement.compile(dialect=dialect, column_keys=keys)
        if not compiled.positional or compiled.positiontup is None:
            raise ValueError(f"{dialect.name}: DriverStatement needs a positional paramstyle")
        computed = [*compiled.insert_prefetch, *compiled.update_prefetch]
        if computed:
            raise ValueError(f"defaults computed per row: {[c.key for c in computed]}")
        names = tuple(compiled.positiontup)
        binds = tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                      for name in names)
        columns = statement.exported_columns  # a select's columns, an insert's RETURNING
        results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                        for column in columns)
        fixed = {name: bind.effective_value for name, bind in compiled.binds.items()
                 if not bind.required}
        return cls(compiled.string, names, binds, results, fixed)

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run it in `connection`'s transaction; the returned rows, converted."""
        params = {**self.fixed, **params} if self.fixed else params
        values = [value if bind is None else bind(value)
                  for value, bind in zip((params[name] for name in self.names), self.binds,
                                         strict=True)]
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            announce(connection, cursor, self.sql, values, many=False)
            cursor.execute(self.sql, values)
            fetched = cursor.fetchall() if self.results else []
        finally:
            cursor.close()
        return [convert(row, self.results) for row in fetched]

    def executemany(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run it once per row of parameters, in `connection`'s transaction."""
        if self.fixed:
            rows = [{**self.fixed, **row} for row in rows]
        values = [[value if bind is None else bind(value)
                   for value, bind in zip((row[name] for name in self.names), self.binds,
                                          strict=True)] for row in rows]
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            announce(connection, cursor, self.sql, values, many=True)
            cursor.executemany(self.sql, values)
        finally:
            cursor.close()


def announce(connection: Connection, cursor: Any, sql: str, values: Any, many: bool) -> None:
    """The engine's `before_cursor_execute` listeners hear of the statement as of any other
    (statement logs, the tests' statement counts)."""
    for listener in connection.dispatch.before_cursor_execute:
        listener(connection, cursor, sql, values, None, many)


@lru_cache(maxsize=256)   # per statement (built once each), dialect (engine) and columns
def on_driver(statement: Insert | Update, dialect: Dialect,
              keys: tuple[str, ...]) -> DriverStatement | None:
    """`statement` for the DBAPI cursor with these parameter names per row, or None where it
    cannot go there (a named paramstyle, a default computed per row): Core runs it then."""
    try:
        return DriverStatement.compile(statement, dialect, keys)
    except (ValueError, CompileError):
        return None


def execute_many(connection: Connection, statement: Insert | Update,
                 rows: list[dict[str, Any]]) -> None:
    """`connection.execute(statement, rows)` (an executemany), on the DBAPI cursor when the
    rows share their keys and the statement can go there (`on_driver`)."""
    keys = tuple(rows[0])
    driver = on_driver(statement, connection.dialect, keys) if all(
        len(row) == len(keys) and all(key in row for key in keys) for row in rows) else None
    if driver is None:
        connection.execute(statement, rows)
    else:
        driver.executemany(connection, rows)


InBuilder = Callable[[Any], "Select[Any]"]   # given the IN's parameter(s), the statement


def select_in(connection: Connection, build: InBuilder, params: Mapping[str, Any],
              values: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows of `build(...)`, a SELECT with one `column.in_(…)` of `values`: on the DBAPI
    cursor with one parameter a value (`count_in`, compiled once per number of values) where
    the dialect is positional, else through Core with an expanding parameter."""
    if connection.dialect.positional:
        return count_in(build, connection.dialect, len(values)).rows(
            connection, {**params, **{f"in{n}": value for n, value in enumerate(values)}})
    return core_select_in(connection, build, params, values)


def core_select_in(connection: Connection, build: InBuilder, params: Mapping[str, Any],
                   values: Sequence[Any]) -> list[tuple[Any, ...]]:
    """`select_in` through Core on any database: one expanding parameter for `values`."""
    return [tuple(row) for row in connection.execute(
        expanding_in(build), {**params, "in_values": list(values)})]


@lru_cache(maxsize=256)   # per statement kind, dialect (engine) and number of values
def count_in(build: InBuilder, dialect: Dialect, count: int) -> DriverStatement:
    return DriverStatement.compile(build([bindparam(f"in{n}") for n in range(count)]), dialect)


@lru_cache(maxsize=64)
def expanding_in(build: InBuilder) -> Select[Any]:
    return build(bindparam("in_values", expanding=True))


def convert(row: Sequence[Any], processors: tuple[Processor, ...]) -> tuple[Any, ...]:
    return tuple(value if process is None else process(value)
                 for value, process in zip(row, processors, strict=True))
