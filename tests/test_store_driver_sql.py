"""The store's statements on the DBAPI cursor (SQLite's event-loop path) write exactly the rows
the Core statements write: every column of messages, contacts and identities."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.app import Runtime, build_runtime
from bot.config.root import AtiendeConfig
from bot.engine.inbox import stage_many
from bot.engine.sink import EngineSink
from bot.engine.store_sql import MESSAGES, CoreSql, DriverSql
from bot.store import driver_sql
from bot.store.driver_sql import DriverStatement
from channels.base import Attachment, InboundMessage
from scheduler.clock import FixedClock
from tests.fakes.sql_log import executed

VIP = "whatsapp:+573001112233"   # in config.yaml's vip.contacts


def group(clock: FixedClock) -> list[InboundMessage]:
    at = clock.now()
    return [
        InboundMessage(channel="whatsapp", provider_message_id="SM1", sender="whatsapp:+5731",
                       text="hola", received_at=at, sender_name="Ana",
                       raw={"Body": "hola", "nested": {"b": b"bytes", "when": at}}),
        InboundMessage(channel="whatsapp", provider_message_id="SM1", sender="whatsapp:+5731",
                       text="hola", received_at=at),                     # a retry in the group
        InboundMessage(channel="whatsapp", provider_message_id="SM2", sender=VIP,
                       text="", received_at=at, sender_name="V" * 300,
                       attachments=(Attachment(filename="0", content_type="image/png",
                                               url="http://127.0.0.1:9/m"),),
                       reply_to="SM0"),
        InboundMessage(channel="email", provider_message_id="<a@b.co>", sender="a@b.co",
                       text="Buenas tardes,\n\nno carga.\n", received_at=at,
                       subject="Re: [#7] no carga", language_hint="es",
                       is_automated=True, automated_reasons=("auto-submitted",),
                       ticket_number=7, claim_verified=True, in_reply_to=("<x@y>",),
                       references=("<w@y>", "<x@y>")),
        InboundMessage(channel="telegram", provider_message_id="SM1", sender="telegram:77",
                       text="same id, other channel", received_at=at),
    ]


def all_rows(runtime: Runtime, tables: tuple[str, ...] = ("messages", "contacts",
                                                         "contact_identities")
             ) -> dict[str, list[tuple[object, ...]]]:
    with runtime.engine.connect() as connection:
        return {table: [tuple(row) for row in connection.execute(
                    text(f"SELECT * FROM {table} ORDER BY id"))] for table in tables}


@pytest.fixture
def two_sqlite(tmp_path: Path, config: AtiendeConfig,
               clock: FixedClock) -> Iterator[tuple[Runtime, Runtime]]:
    built = []
    for name in ("core", "driver"):
        database = config.database.model_copy(update={"url": f"sqlite:///{tmp_path / name}.db"})
        built.append(build_runtime(config.model_copy(update={"database": database}), clock))
    yield built[0], built[1]
    for runtime in built:
        runtime.engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_driver_statements_write_what_core_writes(
        two_sqlite: tuple[Runtime, Runtime], clock: FixedClock) -> None:
    outcomes = []
    for runtime, kind in zip(two_sqlite, (CoreSql, DriverSql), strict=True):
        for part in (group(clock)[:2], group(clock)):   # the second time, SM1 is known
            with runtime.factory() as session:
                outcomes.append(stage_many(session, runtime.config,
                                           [(message, None) for message in part],
                                           kind(session.connection())))
                session.commit()
    assert outcomes[:2] == outcomes[2:]
    assert [o.is_new for o in outcomes[3]] == [False, False, True, True, True]
    core, driver = (all_rows(runtime) for runtime in two_sqlite)
    assert len(core["messages"]) == 4 and len(core["contacts"]) == 4
    for table in core:
        for got, want in zip(driver[table], core[table], strict=True):
            assert got == want, table


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_driver_statement_converts_what_it_reads(runtime: Runtime, clock: FixedClock) -> None:
    with runtime.factory() as session:
        stage_many(session, runtime.config, [(group(clock)[2], None)],
                   DriverSql(session.connection()))
        session.commit()
        known = DriverSql(session.connection()).contacts("whatsapp", [VIP, "whatsapp:+57none"])
    assert [(c.address, c.name, c.vip) for c in known] == [(VIP, "V" * 200, True)]
    assert type(known[0].vip) is bool


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_named_paramstyle_is_refused(runtime: Runtime) -> None:
    """The store uses the driver path only where the writer is SQLite's."""
    with pytest.raises(ValueError, match="positional paramstyle"):
        DriverStatement.compile(select(MESSAGES.c.id), runtime.engine.dialect)


ROUTED_TABLES = ("contacts", "contact_identities", "conversations", "messages", "tickets",
                 "ticket_events", "outbox", "kb_feedback")


def route_a_morning(runtime: Runtime, clock: FixedClock) -> None:
    """KB answers and their feedback, tickets opened and added to, in batches: the batch's
    deferred inserts (outbox, ticket events, KB feedback) and updates (messages,
    conversations, tickets) all run."""
    sink = EngineSink(runtime.factory, runtime.ctx)
    texts = ["¿Cuál es el horario de atención?", "no", "How do I export my data?", "yes",
             "Nos debitaron dos veces la mensualidad, necesitamos la devolución",
             "The app crashes every time I save a work order, error 500", "gracias"]
    for n, body in enumerate(texts * 2):
        sink.accept_now(InboundMessage(channel="whatsapp", provider_message_id=f"SMR{n:03d}",
                                       sender=f"whatsapp:+5730077700{n % 3}", text=body,
                                       received_at=clock.now(), sender_name="Ana"))
        if n % 3 == 2:
            sink.route_accepted()
            clock.advance(timedelta(minutes=1))
    sink.route_accepted()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_routing_batch_writes_the_same_rows_on_the_driver_as_through_core(
        two_sqlite: tuple[Runtime, Runtime], clock: FixedClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    core, driver = two_sqlite
    start = clock.now()
    with monkeypatch.context() as patched:   # every executemany through Core
        patched.setattr(driver_sql, "on_driver", lambda *_: None)
        route_a_morning(core, clock)
    clock.set(start)
    with executed(driver.engine) as sent:
        route_a_morning(driver, clock)
    assert any(sql.startswith("INSERT INTO outbox") for sql, _ in sent)   # still announced
    want, got = all_rows(core, ROUTED_TABLES), all_rows(driver, ROUTED_TABLES)
    assert len(want["outbox"]) > 10 and want["ticket_events"] and want["kb_feedback"]
    for table in ROUTED_TABLES:
        assert got[table] == want[table], table
