"""Which chat channels are on, and why: credentials only from the environment, one log line."""

from __future__ import annotations

import logging

import pytest

from bot.app import Runtime
from bot.channel_context import build_channel_context, build_channel_plugins
from bot.config.root import AtiendeConfig
from channels.whatsapp.plugin import build_plugin as build_whatsapp
from tests.channels.conftest import ENV, PUBLIC_URL, telegram_plugin, whatsapp_plugin
from tests.fakes.clients import BOT_TOKEN


def without(*names: str) -> dict[str, str]:
    return {key: value for key, value in ENV.items() if key not in names}


@pytest.mark.parametrize("missing", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"])
def test_whatsapp_without_credentials_is_off_with_one_log_line(
        runtime: Runtime, caplog: pytest.LogCaptureFixture, missing: str) -> None:
    context = build_channel_context(runtime, without(missing))   # the runtime's own set-up
    caplog.clear()   # (it warns that ATIENDE_SECRET_KEY is not set; that is not the channel)
    with caplog.at_level(logging.INFO):
        plugin = build_whatsapp(runtime.config.channels.whatsapp, context)
    assert not plugin.is_on and plugin.routes == []
    assert plugin.status == "off: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not both set"
    assert [r.getMessage() for r in caplog.records] == [
        "channel whatsapp is off: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not both set"]


def test_whatsapp_with_credentials_is_on_and_says_where(runtime: Runtime) -> None:
    plugin = whatsapp_plugin(runtime, ENV)
    assert plugin.status == (
        f"on: Twilio webhook {PUBLIC_URL}/webhooks/whatsapp, status callback "
        f"{PUBLIC_URL}/webhooks/whatsapp/status, sending as whatsapp:+14155238886")
    assert [route.path for route in plugin.routes] == [  # type: ignore[attr-defined]
        "/webhooks/whatsapp", "/webhooks/whatsapp/status"]


@pytest.mark.parametrize(("env", "reason"), [
    (without("TELEGRAM_BOT_TOKEN"), "TELEGRAM_BOT_TOKEN is not set"),
    (without("TELEGRAM_WEBHOOK_SECRET"),
     "TELEGRAM_WEBHOOK_SECRET is not set (needed in webhook mode)"),
    ({**ENV, "TELEGRAM_WEBHOOK_SECRET": "has spaces!"},
     "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -"),
])
def test_telegram_off_says_why(runtime: Runtime, env: dict[str, str], reason: str) -> None:
    plugin = telegram_plugin(runtime, env)
    assert (plugin.is_on, plugin.status) == (False, f"off: {reason}")


def test_telegram_webhook_mode_is_on_with_token_and_secret(runtime: Runtime) -> None:
    plugin = telegram_plugin(runtime, ENV)
    assert plugin.status == (f"on: webhook {PUBLIC_URL}/webhooks/telegram (register it with "
                             f"`atiende telegram set-webhook`)")


def test_a_missing_section_turns_the_channel_off(runtime: Runtime) -> None:
    data = runtime.config.model_dump(by_alias=True)
    data["channels"]["whatsapp"] = None
    data["channels"]["telegram"] = None
    runtime.config = AtiendeConfig.model_validate(data)
    assert whatsapp_plugin(runtime, ENV).status == (
        "off: no channels.whatsapp section in config.yaml")
    assert telegram_plugin(runtime, ENV).status == (
        "off: no channels.telegram section in config.yaml")


def test_the_registry_reads_credentials_from_the_environment(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", BOT_TOKEN)
    statuses = {p.name: p.status for p in build_channel_plugins(runtime)}
    assert statuses["whatsapp"].startswith("off: TWILIO_ACCOUNT_SID")
    assert statuses["telegram"].startswith("off: TELEGRAM_WEBHOOK_SECRET is not set")


def test_a_token_telegram_refuses_leaves_the_channel_off_and_the_rest_running(
        runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    import asyncio

    from bot.serve import start_plugin

    wrong = {**ENV, "TELEGRAM_BOT_TOKEN": "7000001:AAH-wrong-token"}
    plugin = telegram_plugin(runtime, wrong)
    healthy = whatsapp_plugin(runtime, ENV)

    async def boot() -> list[bool]:
        started = [await start_plugin(plugin), await start_plugin(healthy)]
        for hook in [*plugin.shutdown, *healthy.shutdown]:
            await hook()
        return started

    with caplog.at_level(logging.ERROR, logger="bot.serve"):
        assert asyncio.run(boot()) == [False, True]
    [line] = [r.getMessage() for r in caplog.records if r.name == "bot.serve"]
    assert line.startswith("telegram: could not start, the channel stays off: ")
    assert "wrong-token" not in line
    assert plugin.status.startswith("off: could not start: ")   # what the banner shows
    assert "wrong-token" not in plugin.status and healthy.status.startswith("on: ")
