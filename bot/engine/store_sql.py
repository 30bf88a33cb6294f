"""The store's three lookups and inserts, two ways: Core statements (every database), and the
same statements as `DriverStatement`s for a group stored on SQLite's event-loop path, where
the per-statement work of `Connection.execute` was most of the store's cost."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Connection, Select, bindparam, insert, select
from sqlalchemy.engine import Dialect

from bot.engine.contacts import KnownContact, contacts_in, known_contacts
from bot.store.driver_sql import DriverStatement, core_select_in, select_in
from bot.store.models import Message

MESSAGES = Message.__table__
INSERT_MESSAGE = insert(MESSAGES)


class StoreSql(Protocol):
    def seen(self, channel: str, provider_ids: Sequence[str]) -> Iterable[tuple[int, str]]:
        """(message id, provider id) of those stored already."""
        ...

    def contacts(self, channel: str, addresses: Sequence[str]) -> Iterable[KnownContact]:
        """The contacts behind those of `addresses` that are known on `channel`."""
        ...

    def insert_messages(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert message rows (all with the same keys); their new ids, in order."""
        ...


class CoreSql:
    """Core statements on a SQLAlchemy connection: every database."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def seen(self, channel: str, provider_ids: Sequence[str]) -> Iterable[tuple[int, str]]:
        return core_select_in(self.connection, seen_in, {"channel": channel}, provider_ids)

    def contacts(self, channel: str, addresses: Sequence[str]) -> Iterable[KnownContact]:
        return known_contacts(self.connection, channel, addresses)

    def insert_messages(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        return [int(message_id) for message_id in self.connection.execute(
            INSERT_MESSAGE.returning(MESSAGES.c.id, sort_by_parameter_order=True),
            list(rows)).scalars()]


class DriverSql:
    """The same statements run on the DBAPI cursor (`DriverStatement`), compiled once per
    dialect and number of values; positional paramstyles (SQLite) only."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect

    def seen(self, channel: str, provider_ids: Sequence[str]) -> Iterable[tuple[int, str]]:
        return select_in(self.connection, seen_in, {"channel": channel}, provider_ids)

    def contacts(self, channel: str, addresses: Sequence[str]) -> Iterable[KnownContact]:
        return [KnownContact(*row) for row in select_in(
            self.connection, contacts_in, {"channel": channel}, addresses)]

    def insert_messages(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """One multi-row INSERT … RETURNING; the database promises no order for the ids it
        returns, so each comes back with its (channel, provider id), unique per message."""
        columns = tuple(rows[0])
        params = {f"{column}_{n}": row[column] for n, row in enumerate(rows) for column in columns}
        returned = driver_insert(self.dialect, columns, len(rows)).rows(self.connection, params)
        ids = {(channel, provider_id): int(message_id)
               for message_id, channel, provider_id in returned}
        return [ids[row["channel"], row["provider_message_id"]] for row in rows]


def seen_in(provider_ids: Any) -> Select[Any]:
    return select(MESSAGES.c.id, MESSAGES.c.provider_message_id).where(
        MESSAGES.c.channel == bindparam("channel"),
        MESSAGES.c.provider_message_id.in_(provider_ids))


@lru_cache(maxsize=256)   # per dialect (one per engine) and size: a few each
def driver_insert(dialect: Dialect, columns: tuple[str, ...], count: int) -> DriverStatement:
    values = [{column: bindparam(f"{column}_{n}", type_=MESSAGES.c[column].type)
               for column in columns} for n in range(count)]
    return DriverStatement.compile(
        insert(MESSAGES).values(values).returning(
            MESSAGES.c.id, MESSAGES.c.channel, MESSAGES.c.provider_message_id), dialect)
