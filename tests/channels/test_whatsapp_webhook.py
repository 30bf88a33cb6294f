"""POST /webhooks/whatsapp over a real socket, signed as Twilio signs: store, dedupe, reject."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.config.root import AtiendeConfig
from bot.store.models import QuarantineItem
from tests.channels.conftest import PUBLIC_URL, Live
from tests.fakes.clients import (
    AUTH_TOKEN,
    CUSTOMER,
    twilio_params,
    twilio_post,
    twilio_signature,
)
from tests.fakes.twilio_api import FakeTwilio

PATH = "/webhooks/whatsapp"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def quarantined(live: Live) -> list[tuple[str, str]]:
    with live.runtime.factory() as session:
        return [(q.source, q.reason) for q in session.scalars(select(QuarantineItem))]


def test_signed_message_is_stored_then_answered_with_empty_twiml(live: Live) -> None:
    params = twilio_params("¿Cuál es el horario de atención?")
    response = twilio_post(live.url, PUBLIC_URL, PATH, params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text == EMPTY_TWIML
    stored = live.messages("whatsapp")
    assert [(m.provider_message_id, m.sender, m.text) for m in stored] == [
        (params["MessageSid"], CUSTOMER, "¿Cuál es el horario de atención?")]
    live.drain()
    assert live.messages("whatsapp")[0].status == "processed"


def test_every_posted_parameter_is_kept_in_raw_including_unknown_and_blank(live: Live) -> None:
    params = twilio_params("Hola", ChannelMetadata='{"type":"whatsapp"}', ButtonPayload="",
                           SomeFutureField="x")
    assert twilio_post(live.url, PUBLIC_URL, PATH, params).status_code == 200
    raw = live.messages("whatsapp")[0].raw
    assert {key: raw[key] for key in params} == params
    assert raw["SomeFutureField"] == "x" and raw["ButtonPayload"] == ""


def test_the_signature_covers_blank_parameters(live: Live) -> None:
    params = twilio_params("", Latitude="", Longitude="", ButtonText="",
                           NumMedia="0")
    signature_without_blanks = twilio_signature(
        PUBLIC_URL, PATH, {k: v for k, v in params.items() if v})
    assert signature_without_blanks != twilio_signature(PUBLIC_URL, PATH, params)
    bad = twilio_post(live.url, PUBLIC_URL, PATH, params, signature=signature_without_blanks)
    assert bad.status_code == 403
    assert twilio_post(live.url, PUBLIC_URL, PATH, params).status_code == 200


def test_signature_is_checked_against_the_public_url_not_the_socket(live: Live) -> None:
    params = twilio_params("Hola")
    response = twilio_post(live.url, live.url, PATH, params)   # signed for 127.0.0.1:port
    assert response.status_code == 403
    assert "does not match a request to https://soporte.example.test/webhooks/whatsapp" in (
        response.text)
    assert live.messages("whatsapp") == []


def test_missing_signature_is_403_with_the_reason(live: Live) -> None:
    response = httpx.post(f"{live.url}{PATH}", data=twilio_params("Hola"), timeout=10)
    assert (response.status_code, response.text) == (403, "missing X-Twilio-Signature header\n")
    assert live.messages("whatsapp") == []


def test_a_signature_made_with_another_token_is_403(live: Live) -> None:
    response = twilio_post(live.url, PUBLIC_URL, PATH, twilio_params("Hola"),
                           token=AUTH_TOKEN[::-1])
    assert response.status_code == 403
    assert "X-Twilio-Signature does not match" in response.text
    assert "Traceback" not in response.text


def test_a_parameter_changed_after_signing_is_403(live: Live) -> None:
    params = twilio_params("Hola")
    signature = twilio_signature(PUBLIC_URL, PATH, params)
    tampered = {**params, "From": "whatsapp:+10000000000"}
    response = twilio_post(live.url, PUBLIC_URL, PATH, tampered, signature=signature)
    assert response.status_code == 403
    assert live.messages("whatsapp") == []


def test_signed_but_without_message_sid_is_400_and_quarantined(live: Live) -> None:
    params = {k: v for k, v in twilio_params("Hola").items()
              if k not in ("MessageSid", "SmsMessageSid", "SmsSid")}
    response = twilio_post(live.url, PUBLIC_URL, PATH, params)
    assert (response.status_code, response.text) == (400, "missing MessageSid\n")
    assert quarantined(live) == [("whatsapp", "missing MessageSid")]
    assert live.messages("whatsapp") == []


def test_a_non_numeric_num_media_is_400(live: Live) -> None:
    response = twilio_post(live.url, PUBLIC_URL, PATH, twilio_params("Hola", NumMedia="dos"))
    assert response.status_code == 400
    assert "NumMedia must be a number" in response.text


def test_a_body_that_is_not_a_form_is_403(live: Live) -> None:
    """Twilio signs only forms: another body cannot be verified, so it is refused unparsed."""
    response = httpx.post(f"{live.url}{PATH}", json={"Body": "hola"}, timeout=10,
                          headers={"X-Twilio-Signature": "abc="})
    assert response.status_code == 403
    assert response.text == ("X-Twilio-Signature cannot match: expected "
                             "application/x-www-form-urlencoded, got application/json\n")


def test_a_forged_undecodable_body_is_403(live: Live) -> None:
    response = httpx.post(f"{live.url}{PATH}", content=b"Body=\xff\xfe\x00%ZZ&&=", timeout=10,
                          headers={"X-Twilio-Signature": "abc=",
                                   "Content-Type": "application/x-www-form-urlencoded"})
    assert (response.status_code, response.text) == (
        403, "X-Twilio-Signature cannot match: body is not a valid form\n")
    assert live.messages("whatsapp") == []


def test_twilio_retries_of_one_message_sid_are_processed_once(live: Live,
                                                              twilio_api: FakeTwilio) -> None:
    params = twilio_params("¿Cuál es el horario de atención?")
    for _ in range(3):
        response = twilio_post(live.url, PUBLIC_URL, PATH, params)
        assert (response.status_code, response.text) == (200, EMPTY_TWIML)
    assert len(live.messages("whatsapp")) == 1
    assert live.dispatch() == 1
    assert len(twilio_api.messages) == 1
    metrics = httpx.get(f"{live.url}/metrics", timeout=10).text
    assert 'atiende_duplicate_messages_total{channel="whatsapp"}' in metrics


def test_media_is_downloaded_with_basic_auth_through_the_redirect(
        live: Live, twilio_api: FakeTwilio) -> None:
    params = twilio_params("Mira el error", NumMedia="1", MediaContentType0="image/png")
    params["MediaUrl0"] = twilio_api.add_media(params["MessageSid"], b"\x89PNG fake", "image/png")
    assert twilio_post(live.url, PUBLIC_URL, PATH, params).status_code == 200
    [attachment] = live.messages("whatsapp")[0].attachments
    assert attachment["content_type"] == "image/png" and attachment["size"] == 9
    assert Path(attachment["url"]).read_bytes() == b"\x89PNG fake"
    assert attachment["filename"] == "0.png"
    media_get = next(r for r in twilio_api.requests if "/Media/" in r.path)
    assert media_get.headers["authorization"].startswith("Basic ")
    [cdn] = twilio_api.cdn_requests()
    assert "authorization" not in cdn.headers   # not leaked to the CDN host


def test_media_over_the_size_cap_is_not_kept_but_the_message_is(
        live: Live, twilio_api: FakeTwilio) -> None:
    params = twilio_params("", NumMedia="1", MediaContentType0="video/mp4")
    params["MediaUrl0"] = twilio_api.add_media(params["MessageSid"], b"x" * 70_000, "video/mp4")
    assert twilio_post(live.url, PUBLIC_URL, PATH, params).status_code == 200
    [message] = live.messages("whatsapp")
    [attachment] = message.attachments
    assert attachment["url"] == params["MediaUrl0"] and attachment["size"] is None
    assert message.raw["_media_errors"] == [
        "MediaUrl0: media is 70000 bytes, over the 65536-byte cap"]


def test_media_outside_the_configured_api_is_not_fetched(live: Live) -> None:
    params = twilio_params("foto", NumMedia="1", MediaContentType0="image/jpeg",
                           MediaUrl0="http://127.0.0.2:9/evil.jpg")
    assert twilio_post(live.url, PUBLIC_URL, PATH, params).status_code == 200
    [message] = live.messages("whatsapp")
    assert "not on channels.whatsapp.api_base_url" in message.raw["_media_errors"][0]


def test_a_retry_with_media_does_not_download_again(live: Live, twilio_api: FakeTwilio) -> None:
    params = twilio_params("foto", NumMedia="1", MediaContentType0="image/jpeg")
    params["MediaUrl0"] = twilio_api.add_media(params["MessageSid"], b"jpeg", "image/jpeg")
    for _ in range(2):
        assert twilio_post(live.url, PUBLIC_URL, PATH, params).status_code == 200
    assert len(twilio_api.cdn_requests()) == 1


def test_location_button_referral_and_reply_fields_are_read(live: Live) -> None:
    params = twilio_params("", Latitude="4.6097", Longitude="-74.0817", Address="Calle 26",
                           ButtonText="", ReferralBody="Promo soporte",
                           ReferralSourceUrl="https://fb.me/x", ReferralSourceType="ad",
                           OriginalRepliedMessageSid="SMreplied")
    assert twilio_post(live.url, PUBLIC_URL, PATH, params).status_code == 200
    [message] = live.messages("whatsapp")
    assert message.text == "📍 4.6097,-74.0817 Calle 26"
    assert message.raw["_referral"] == {"ReferralNumMedia": "0", "ReferralBody": "Promo soporte",
                                        "ReferralSourceUrl": "https://fb.me/x",
                                        "ReferralSourceType": "ad"}
    assert message.reply_to == "SMreplied" and "_atiende" not in message.raw


def test_a_quick_reply_button_reads_as_its_text(live: Live) -> None:
    params = twilio_params("", ButtonText="Ver respuesta", ButtonPayload="agent_reply",
                           MessageType="button")
    assert twilio_post(live.url, PUBLIC_URL, PATH, params).status_code == 200
    assert live.messages("whatsapp")[0].text == "Ver respuesta"


def test_the_profile_name_is_decoration_and_the_address_is_the_identity(live: Live) -> None:
    twilio_post(live.url, PUBLIC_URL, PATH, twilio_params("Hola", ProfileName="Ana"))
    twilio_post(live.url, PUBLIC_URL, PATH, twilio_params("Hola otra vez", ProfileName="Anita"))
    stored = live.messages("whatsapp")
    assert len({m.contact_id for m in stored}) == 1
    assert {m.sender for m in stored} == {CUSTOMER}


def test_a_username_style_address_is_kept_as_given(live: Live) -> None:
    sender = "whatsapp:ana.perez"
    assert twilio_post(live.url, PUBLIC_URL, PATH, twilio_params("Hola", sender=sender,
                                                                 WaId="")).status_code == 200
    assert live.messages("whatsapp")[0].sender == sender


def test_get_is_not_allowed(live: Live) -> None:
    assert httpx.get(f"{live.url}{PATH}", timeout=10).status_code == 405


def test_concurrent_webhooks_are_all_stored_and_routed(live: Live) -> None:
    """Many customers at once: every webhook is stored before its 200 (SQLite and PostgreSQL)."""
    batch = [twilio_params("¿Cuál es el horario de atención?" if n % 2 else
                           "Nos debitaron dos veces la mensualidad, necesitamos la devolución",
                           sender=f"whatsapp:+5730099900{n:02d}") for n in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(
            lambda params: twilio_post(live.url, PUBLIC_URL, PATH, params).status_code, batch))
    assert statuses == [200] * 24
    assert len(live.messages("whatsapp")) == 24
    live.drain()
    assert {m.status for m in live.messages("whatsapp")} == {"processed"}


class TestMediaBudget:
    @pytest.fixture
    def config(self, config: AtiendeConfig) -> AtiendeConfig:
        data = config.model_dump(by_alias=True)
        data["channels"]["whatsapp"]["media_budget_seconds"] = 2.0
        return AtiendeConfig.model_validate({**data, "source": config.source})

    def test_a_stuck_download_does_not_hold_the_answer_to_twilio(
            self, live: Live, twilio_api: FakeTwilio) -> None:
        params = twilio_params("dos fotos", NumMedia="2", MediaContentType0="image/png",
                               MediaContentType1="image/png")
        params["MediaUrl0"] = twilio_api.add_media(params["MessageSid"], b"png", "image/png")
        params["MediaUrl1"] = twilio_api.add_media(params["MessageSid"], b"", "image/png",
                                                   stalled=True)
        response = twilio_post(live.url, PUBLIC_URL, PATH, params)
        assert (response.status_code, response.text) == (200, EMPTY_TWIML)
        [message] = live.messages("whatsapp")
        first, second = message.attachments
        assert first["size"] == 3 and Path(first["url"]).read_bytes() == b"png"
        assert second["url"] == params["MediaUrl1"] and second["size"] is None
        assert message.raw["_media_errors"] == [
            "MediaUrl1: not downloaded within channels.whatsapp.media_budget_seconds (2 s)"]
