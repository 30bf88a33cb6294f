"""Response targets per category (TuQR's help page): the stricter of priority and category,
in the promise to the customer (es, en), in `sla due` and in the report."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import datetime

import pytest

from bot.app import Runtime, build_runtime
from bot.cli.chat import ChatSession
from bot.config.root import AtiendeConfig
from bot.reports.figures import build_report
from bot.reports.period import make_period
from scheduler.clock import FixedClock
from tests.conftest import BOGOTA, REPO
from tests.transcript import send, ticket

ATIENDE = str(REPO / ".venv" / "bin" / "atiende")
BILLING_ES = ("Nos debitaron dos veces la mensualidad y necesitamos la devolución del dinero, "
              "ya revisamos el extracto")
BILLING_EN = ("We were charged twice for the monthly fee and need a refund of the money, "
              "we already checked the statement")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=BOGOTA)
TUQR = {"regular": {"billing": 120, "technical": 240, "account": 360, "functional": 480,
                    "emergency": 30, "suggestion": 1620},
        "vip": {"billing": 60, "technical": 120, "account": 120, "functional": 240,
                "emergency": 15, "suggestion": 540}}


@pytest.fixture
def desk(config: AtiendeConfig, clock: FixedClock) -> Iterator[Runtime]:
    """The desk with TuQR's per-category targets beside the per-priority ones."""
    table = config.sla.first_response_by_category.model_validate(TUQR)
    sla = config.sla.model_copy(update={"first_response_by_category": table})
    built = build_runtime(config.model_copy(update={"sla": sla}), clock)
    yield built
    built.engine.dispose()


def test_es_billing_is_promised_within_two_hours_not_the_priority_s_eight(
        desk: Runtime) -> None:
    said = send(ChatSession(desk, "console:ana"), BILLING_ES)
    billed = ticket(desk, 1)
    assert (billed.category, billed.priority) == ("billing", "medium")  # medium alone: 8 h
    assert billed.first_response_due_at == datetime(2026, 11, 24, 12, 0, tzinfo=BOGOTA)
    assert "hoy a las 12:00" in said


def test_en_vip_billing_takes_the_vip_category_target(desk: Runtime) -> None:
    chat = ChatSession(desk, "console:vip-bob")
    chat.mark_vip()
    said = send(chat, BILLING_EN)
    billed = ticket(desk, 1)
    assert billed.vip and billed.category == "billing"
    assert billed.first_response_due_at == datetime(2026, 11, 24, 11, 0, tzinfo=BOGOTA)
    assert "today at 11:00" in said


def test_en_without_a_category_target_the_priority_decides(config: AtiendeConfig,
                                                           clock: FixedClock) -> None:
    table = config.sla.first_response_by_category.model_validate({"regular": {}, "vip": {}})
    sla = config.sla.model_copy(update={"first_response_by_category": table})
    built = build_runtime(config.model_copy(update={"sla": sla}), clock)
    try:
        said = send(ChatSession(built, "console:eve"), BILLING_EN)
        due = ticket(built, 1).first_response_due_at
    finally:
        built.engine.dispose()
    assert due == datetime(2026, 11, 25, 9, 0, tzinfo=BOGOTA)  # medium: 8 business hours
    assert "tomorrow at 9:00" in said


def test_report_has_sla_compliance_by_category(desk: Runtime) -> None:
    send(ChatSession(desk, "console:ana"), BILLING_ES)
    period = make_period(datetime(2026, 11, 30, 9, 0, tzinfo=BOGOTA), BOGOTA,
                         start_day="2026-11-02", end_day="2026-11-27")
    with desk.factory() as session:
        report = build_report(session, period, by=None)
    assert report["sla_compliance"]["by_category"] == {"billing": 0.0}  # never answered


def sla_due(*args: str) -> dict[str, object]:
    done = subprocess.run([ATIENDE, "sla", "due", *args, "--json", "--config",
                           str(REPO / "config.yaml")], capture_output=True, text=True,
                          check=True, env={"PATH": "/usr/bin:/bin", **CATEGORY_ENV})
    return json.loads(done.stdout)


CATEGORY_ENV = {"ATIENDE__SLA__FIRST_RESPONSE_BY_CATEGORY": json.dumps(TUQR)}


def test_sla_due_cli_is_the_stricter_of_priority_and_category() -> None:
    at = "2026-11-24T10:00-05:00"
    assert sla_due("--priority", "low", "--category", "billing", "--at", at)[
        "first_response_due_at"] == "2026-11-24T12:00:00-05:00"        # category: 2 h < 24 h
    assert sla_due("--priority", "critical", "--category", "suggestion", "--at", at)[
        "first_response_due_at"] == "2026-11-24T12:00:00-05:00"        # priority: 2 h < 3 days
    assert sla_due("--priority", "low", "--category", "emergency", "--at", at)[
        "first_response_due_at"] == "2026-11-24T10:30:00-05:00"
