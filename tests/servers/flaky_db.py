"""PostgreSQL behind a loopback proxy that can refuse or hang, for database-failure tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from tests.conftest import PG_SERVER, need_service, postgres_available
from tests.servers.tcp_proxy import TcpProxy

PG_PORT = 5432


@contextmanager
def postgres_behind_proxy() -> Iterator[tuple[str, TcpProxy]]:
    """(database URL through the proxy, the proxy), in a throwaway schema."""
    if not postgres_available():
        need_service("PostgreSQL on 127.0.0.1:5432 (user postgres, database test)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    proxy = TcpProxy(PG_PORT)
    try:
        yield (f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/test"
               f"?options=-csearch_path%3D{schema}"), proxy
    finally:
        proxy.close()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
