"""PostgreSQL behind a loopback proxy that can refuse or hang, for database-failure tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.conftest import PG_SERVER, postgres_schema
from tests.servers.tcp_proxy import TcpProxy

PG_PORT = 5432


@contextmanager
def postgres_behind_proxy() -> Iterator[tuple[str, TcpProxy]]:
    """(database URL through the proxy, the proxy), in a throwaway schema."""
    schema = postgres_schema()
    url = next(schema)
    proxy = TcpProxy(PG_PORT)
    try:
        through = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/test"
        yield url.replace(PG_SERVER, through), proxy
    finally:
        proxy.close()
        next(schema, None)   # drops the schema
