"""POST /webhooks/telegram over a real socket with the secret token: store, dedupe, reject."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.store.models import QuarantineItem
from tests.channels.conftest import Live
from tests.fakes.clients import (
    telegram_callback,
    telegram_message,
    telegram_post,
    telegram_user,
)
from tests.fakes.telegram_api import FakeTelegram


def texts_sent(telegram_api: FakeTelegram) -> list[str]:
    return [str(call["text"]) for call in telegram_api.sent()]


def test_a_message_is_stored_before_the_200(live: Live) -> None:
    update = telegram_message("¿Cuál es el horario de atención?")
    response = live.telegram_in(update)
    assert response.json() == {"ok": True}
    [stored] = live.messages("telegram")
    assert (stored.provider_message_id, stored.sender, stored.text) == (
        str(update["update_id"]), "telegram:4242", "¿Cuál es el horario de atención?")
    assert stored.raw["message"]["from"]["language_code"] == "es"


def test_a_missing_secret_token_is_403(live: Live) -> None:
    response = telegram_post(live.url, telegram_message("Hola"), secret=None)
    assert (response.status_code, response.text) == (
        403, "missing X-Telegram-Bot-Api-Secret-Token header\n")
    assert live.messages("telegram") == []


def test_a_wrong_secret_token_is_403(live: Live) -> None:
    response = telegram_post(live.url, telegram_message("Hola"), secret="guess")
    assert (response.status_code, response.text) == (
        403, "X-Telegram-Bot-Api-Secret-Token does not match\n")
    assert live.messages("telegram") == []


@pytest.mark.parametrize(("body", "reason"), [
    (b"{not json", "not a Telegram Update: JSONDecodeError"),
    (b"[1, 2]", "body is not a JSON object"),
    (b'{"message": {}}', "missing or non-integer update_id"),
    (b'{"update_id": "7"}', "missing or non-integer update_id"),
    (b'{"update_id": 7, "message": {"text": "hola"}}', "missing message.message_id"),
    (b'{"update_id": 7, "message": {"message_id": 1, "date": 0, "chat": "x"}}',
     "message.chat must be an object"),
    (b'{"update_id": 7, "callback_query": {"id": "5"}}', "missing callback_query.from"),
])
def test_malformed_updates_are_400_and_quarantined(live: Live, body: bytes, reason: str) -> None:
    response = telegram_post(live.url, body)
    assert (response.status_code, response.text) == (400, reason + "\n")
    with live.runtime.factory() as session:
        kept = session.scalars(select(QuarantineItem)).one()
    assert (kept.source, kept.reason, kept.raw) == ("telegram", reason, body)


def test_a_redelivered_update_id_is_processed_once(live: Live,
                                                   telegram_api: FakeTelegram) -> None:
    update = telegram_message("¿Cuál es el horario de atención?")
    for _ in range(3):
        live.telegram_in(update)
    assert len(live.messages("telegram")) == 1
    assert live.dispatch() == 1
    assert len(telegram_api.sent()) == 1


@pytest.mark.parametrize(("language", "greeting"), [
    ("es", "¡Hola Ana! Soy el asistente de soporte de Atiende."),
    ("en", "Hi Ana! I'm Atiende's support assistant."),
])
def test_start_is_greeted_by_the_engine_in_the_user_s_language(
        live: Live, telegram_api: FakeTelegram, language: str, greeting: str) -> None:
    live.telegram_in(telegram_message("/start", user=telegram_user(language=language)))
    live.dispatch()
    [sent] = telegram_api.sent()
    assert str(sent["text"]).startswith(greeting)
    assert str(sent["chat_id"]) == "4242"


@pytest.mark.parametrize("command", ["/start promo-navidad", "/start@AtiendeBot"])
def test_start_with_a_deep_link_or_the_bot_name_is_a_greeting(
        live: Live, telegram_api: FakeTelegram, command: str) -> None:
    live.telegram_in(telegram_message(command, user=telegram_user(language="es")))
    live.dispatch()
    [sent] = telegram_api.sent()
    assert str(sent["text"]).startswith("¡Hola Ana! Soy el asistente de soporte de Atiende.")
    [stored] = live.messages("telegram")
    assert stored.raw["message"]["text"] == command


def test_a_photo_is_fetched_with_get_file_and_kept(live: Live,
                                                   telegram_api: FakeTelegram) -> None:
    small = telegram_api.add_file(b"thumb", "photos/file_0.jpg")
    large = telegram_api.add_file(b"\xff\xd8 large jpeg", "photos/file_1.jpg")
    photo = [{"file_id": small, "file_unique_id": "s", "width": 90, "height": 90,
              "file_size": 5},
             {"file_id": large, "file_unique_id": "l", "width": 800, "height": 600,
              "file_size": 13}]
    live.telegram_in(telegram_message(None, photo=photo, caption="Este error sale"))
    [stored] = live.messages("telegram")
    assert stored.text == "Este error sale"
    [attachment] = stored.attachments
    assert attachment["content_type"] == "image/jpeg" and attachment["size"] == 13
    assert Path(attachment["url"]).read_bytes() == b"\xff\xd8 large jpeg"
    assert telegram_api.sent("getFile") == [{"file_id": large}]
    assert telegram_api.file_downloads == ["photos/file_1.jpg"]


def test_a_document_and_a_voice_note_keep_their_names_and_types(
        live: Live, telegram_api: FakeTelegram) -> None:
    pdf = telegram_api.add_file(b"%PDF-1.7", "documents/file_2.pdf")
    live.telegram_in(telegram_message(None, document={
        "file_id": pdf, "file_unique_id": "d", "file_name": "factura marzo.pdf",
        "mime_type": "application/pdf", "file_size": 8}))
    voice = telegram_api.add_file(b"OggS", "voice/file_3.oga")
    live.telegram_in(telegram_message(None, voice={
        "file_id": voice, "file_unique_id": "v", "duration": 3, "mime_type": "audio/ogg",
        "file_size": 4}))
    first, second = live.messages("telegram")
    assert [(a["filename"], a["content_type"]) for a in first.attachments] == [
        ("factura_marzo.pdf", "application/pdf")]
    assert [(a["filename"], a["content_type"]) for a in second.attachments] == [
        ("0.oga", "audio/ogg")]


def test_a_file_over_the_cap_is_not_downloaded_but_the_message_is_kept(
        live: Live, telegram_api: FakeTelegram) -> None:
    big = telegram_api.add_file(b"x", "documents/big.zip")
    live.telegram_in(telegram_message(None, document={
        "file_id": big, "file_unique_id": "b", "file_name": "big.zip",
        "mime_type": "application/zip", "file_size": 10_000_000}))
    [stored] = live.messages("telegram")
    assert stored.raw["_media_errors"] == [
        f"file {big}: media is 10000000 bytes, over the 65536-byte cap"]
    assert telegram_api.file_downloads == []


def test_a_location_reads_as_coordinates(live: Live) -> None:
    live.telegram_in(telegram_message(None, location={"latitude": 4.6097,
                                                      "longitude": -74.0817}))
    assert live.messages("telegram")[0].text == "📍 4.6097,-74.0817"


def test_a_button_tap_reads_as_its_label_and_is_answered(live: Live,
                                                         telegram_api: FakeTelegram) -> None:
    keyboard = [[{"text": "Sí", "callback_data": "Sí"}, {"text": "No", "callback_data": "No"}]]
    update = telegram_callback("No", keyboard)
    live.telegram_in(update)
    [stored] = live.messages("telegram")
    assert (stored.text, stored.sender) == ("No", "telegram:4242")
    live.drain()
    assert telegram_api.sent("answerCallbackQuery") == [
        {"callback_query_id": update["callback_query"]["id"]}]


def test_group_messages_and_edits_are_acknowledged_and_ignored(live: Live) -> None:
    group = telegram_message("hola a todos")
    group["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Clientes"}
    live.telegram_in(group)
    edited = telegram_message("corregido")
    edited["edited_message"] = edited.pop("message")
    live.telegram_in(edited)
    assert live.messages("telegram") == []


def test_get_is_not_allowed(live: Live) -> None:
    assert httpx.get(f"{live.url}/webhooks/telegram", timeout=10).status_code == 405
