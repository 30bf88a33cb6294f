"""TelegramChannel.send against the local Bot API: limits with injected time, keyboards, errors."""

from __future__ import annotations

import asyncio

import pytest

from channels.base import DeliveryError, OutboundMessage
from channels.rate_limit import RateLimiter
from channels.telegram.client import api_urls, make_bot
from channels.telegram.config import TelegramConfig
from channels.telegram.sender import TelegramChannel, keyboard
from tests.fakes.clients import BOT_TOKEN
from tests.fakes.monotonic import FakeTime
from tests.fakes.telegram_api import FakeTelegram


def channel(telegram_api: FakeTelegram, fake: FakeTime) -> TelegramChannel:
    config = TelegramConfig(api_base_url=telegram_api.url)
    return TelegramChannel(lambda: make_bot(config, BOT_TOKEN),
                           RateLimiter(1.0, 30.0, monotonic=fake.monotonic, sleep=fake.sleep))


def send(target: TelegramChannel, *messages: OutboundMessage) -> list[str | None]:
    async def main() -> list[str | None]:
        receipts = [await target.send(message) for message in messages]
        await target.close()
        return [receipt.provider_message_id for receipt in receipts]

    return asyncio.run(main())


def test_api_urls_come_from_the_configured_base() -> None:
    config = TelegramConfig(api_base_url="http://127.0.0.1:8081/")
    assert api_urls(config) == ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot")


def test_parts_to_one_chat_are_a_second_apart(telegram_api: FakeTelegram) -> None:
    fake = FakeTime()
    text = "\n".join("y" * 1000 for _ in range(9))   # 9,008 characters: three parts
    ids = send(channel(telegram_api, fake),
               OutboundMessage(channel="telegram", recipient="telegram:4242", text=text))
    assert len(telegram_api.sent()) == 3
    assert fake.slept == [1.0, 1.0]
    assert ids[0] is not None and ids[0].startswith("4242:")


def test_messages_to_different_chats_only_respect_the_overall_rate(
        telegram_api: FakeTelegram) -> None:
    fake = FakeTime()
    send(channel(telegram_api, fake),
         *(OutboundMessage(channel="telegram", recipient=f"telegram:{n}", text="Hola")
           for n in range(1, 4)))
    assert fake.slept == [pytest.approx(1 / 30, abs=1e-5)] * 2


def test_buttons_are_rows_of_three_with_the_label_as_data() -> None:
    markup = keyboard(("1", "2", "3", "0"))
    assert markup is not None
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [["1", "2", "3"], ["0"]]
    long_label = "ñ" * 40
    [[button]] = keyboard((long_label,)).inline_keyboard  # type: ignore[union-attr]
    assert len(str(button.callback_data).encode()) <= 64


def test_a_recipient_that_is_not_a_telegram_chat_fails_for_good(
        telegram_api: FakeTelegram) -> None:
    with pytest.raises(DeliveryError) as caught:
        send(channel(telegram_api, FakeTime()),
             OutboundMessage(channel="telegram", recipient="whatsapp:+57300", text="Hola"))
    assert caught.value.transient is False
    assert "not a Telegram chat address" in str(caught.value)


def test_a_wrong_token_is_reported_as_a_retryable_configuration_error(
        telegram_api: FakeTelegram) -> None:
    config = TelegramConfig(api_base_url=telegram_api.url)
    target = TelegramChannel(lambda: make_bot(config, "1:wrong"), RateLimiter(1, 30))
    with pytest.raises(DeliveryError) as caught:
        send(target, OutboundMessage(channel="telegram", recipient="telegram:1", text="Hola"))
    assert caught.value.transient is True
    assert "TELEGRAM_BOT_TOKEN" in str(caught.value)
