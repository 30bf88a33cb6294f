"""Every Twilio request we make, checked against Twilio's OpenAPI spec by a validating Prism mock.

CI installs the spec (npm `@twilio-alpha/mcp`) and Prism (`@stoplight/prism-cli`) and sets
PRISM_BIN and TWILIO_OPENAPI_SPEC; without them the test skips here and fails in CI.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.app import Runtime, build_runtime
from bot.config.root import AtiendeConfig, load_config
from bot.engine.pipeline import receive
from bot.engine.sink import EngineSink
from channels.base import DeliveryError, InboundMessage, OutboundMessage
from channels.whatsapp.config import WhatsAppConfig
from channels.whatsapp.sender import Credentials, WhatsAppChannel
from scheduler.clock import FixedClock
from tests.conftest import need_service
from tests.fakes.clients import ACCOUNT_SID, AUTH_TOKEN, CUSTOMER
from tests.servers.ports import free_port

REPO = Path(__file__).resolve().parents[2]
NPM = REPO / ".ci" / "npm" / "node_modules"
PRISM = Path(os.environ.get("PRISM_BIN", NPM / ".bin" / "prism"))
SPEC = Path(os.environ.get("TWILIO_OPENAPI_SPEC", NPM / "@twilio-alpha" / "mcp" / "twilio-oai"
                           / "spec" / "json" / "twilio_api_v2010.json"))
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
TEMPLATE = "HX" + "c" * 32


@pytest.fixture(scope="module")
def prism() -> Iterator[str]:
    if not (PRISM.exists() and SPEC.exists()):
        need_service(f"Prism ({PRISM}) and Twilio's OpenAPI spec ({SPEC})")
    port = free_port()
    proc = subprocess.Popen([str(PRISM), "mock", "--errors", "-h", "127.0.0.1", "-p", str(port),
                             str(SPEC)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    ready = threading.Event()
    log: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.append(line)
            if "Prism is listening" in line:
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    ready.wait(timeout=120)
    if proc.poll() is not None or not any("Prism is listening" in x for x in log):
        proc.kill()
        pytest.fail("Prism did not start:\n" + "".join(log[-20:]))
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture
def contract_runtime(tmp_path: Path, prism: str) -> Iterator[Runtime]:
    base = load_config(REPO / "config.yaml", environ={})
    config = AtiendeConfig.model_validate({
        **base.model_dump(by_alias=True), "source": base.source,
        "database": {"url": f"sqlite:///{tmp_path / 'contract.db'}"}})
    runtime = build_runtime(config, FixedClock(NOW))
    yield runtime
    runtime.engine.dispose()


def channel_for(runtime: Runtime, prism: str) -> WhatsAppChannel:
    config = WhatsAppConfig(api_base_url=prism, templates={
        "agent_reply": {"content_sid": TEMPLATE}})
    return WhatsAppChannel(config, Credentials(ACCOUNT_SID, AUTH_TOKEN),
                           "https://soporte.example.test", EngineSink(runtime.factory, runtime.ctx),
                           runtime.clock.now, "Atiende")


def send(channel: WhatsAppChannel, message: OutboundMessage) -> str | None:
    async def main() -> str | None:
        try:
            return (await channel.send(message)).provider_message_id
        finally:
            await channel.close()

    try:
        return asyncio.run(main())
    except DeliveryError as exc:
        pytest.fail(f"Prism says our request breaks Twilio's contract: {exc}")


def outbound(text: str, kind: str = "reply") -> OutboundMessage:
    return OutboundMessage(channel="whatsapp", recipient=CUSTOMER, text=text, kind=kind,
                           outbox_id=7, ticket_number=3, buttons=("Sí", "No"))


def test_free_text_with_status_callback_matches_the_spec(contract_runtime: Runtime,
                                                         prism: str) -> None:
    receive(contract_runtime.factory, contract_runtime.ctx, InboundMessage(
        channel="whatsapp", provider_message_id="SMcontract", sender=CUSTOMER, text="Hola",
        received_at=NOW))
    assert send(channel_for(contract_runtime, prism), outbound("¿Te ayudó? (sí/no)"))


def test_a_split_text_matches_the_spec(contract_runtime: Runtime, prism: str) -> None:
    receive(contract_runtime.factory, contract_runtime.ctx, InboundMessage(
        channel="whatsapp", provider_message_id="SMcontract2", sender=CUSTOMER, text="Hola",
        received_at=NOW))
    assert send(channel_for(contract_runtime, prism), outbound("palabra " * 500))


def test_a_content_template_outside_the_window_matches_the_spec(contract_runtime: Runtime,
                                                                prism: str) -> None:
    assert send(channel_for(contract_runtime, prism),
                outbound("Ya reversamos el cobro.", kind="agent_reply"))


def test_the_mock_refuses_what_twilio_would_refuse(prism: str) -> None:
    """The check has teeth: a Messages create without `To` is a contract violation."""
    response = httpx.post(f"{prism}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
                          data={"From": "whatsapp:+14155238886", "Body": "hola"},
                          auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=30)
    assert response.status_code == 422
    assert "must have required property 'To'" in response.text
