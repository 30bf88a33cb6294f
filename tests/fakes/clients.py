"""How Twilio and Telegram call our webhooks: signed form posts and secret-token JSON posts."""

from __future__ import annotations

import itertools
import secrets
from typing import Any

import httpx
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f" * 8 + "test-auth-token" + "0" * 9
BOT_TOKEN = "7000001:AAH-test-token_for_local_fake"
WEBHOOK_SECRET = "atiende-test-secret_42"
UPDATE_IDS = itertools.count(500_000_000)
CUSTOMER = "whatsapp:+573001234567"
BUSINESS = "whatsapp:+14155238886"


def message_sid() -> str:
    return "SM" + secrets.token_hex(16)


def twilio_params(body: str, sender: str = CUSTOMER, sid: str | None = None,
                  **extra: str) -> dict[str, str]:
    """A WhatsApp inbound message as Twilio posts it (blank fields included)."""
    params = {
        "SmsMessageSid": sid or message_sid(), "NumMedia": "0", "ProfileName": "Ana Pérez",
        "MessageType": "text", "SmsSid": "", "WaId": sender.removeprefix("whatsapp:+"),
        "SmsStatus": "received", "Body": body, "To": BUSINESS, "NumSegments": "1",
        "ReferralNumMedia": "0", "MessageSid": "", "AccountSid": ACCOUNT_SID, "From": sender,
        "ApiVersion": "2010-04-01",
    }
    params["MessageSid"] = params["SmsMessageSid"]
    params["SmsSid"] = params["SmsMessageSid"]
    params.update(extra)
    return params


def twilio_signature(public_url: str, path: str, params: dict[str, str],
                     token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature exactly as Twilio computes it: over the public URL and every param."""
    return RequestValidator(token).compute_signature(public_url.rstrip("/") + path, params)


def twilio_post(base_url: str, public_url: str, path: str, params: dict[str, str],
                token: str = AUTH_TOKEN, signature: str | None = None) -> httpx.Response:
    """POST to our server (base_url) as Twilio would, signed for the public URL."""
    if signature is None:
        signature = twilio_signature(public_url, path, params, token)
    headers = {"X-Twilio-Signature": signature, "I-Twilio-Idempotency-Token": message_sid(),
               "User-Agent": "TwilioProxy/1.1"}
    return httpx.post(base_url + path, data=params, headers=headers, timeout=30)


def status_params(sid: str, status: str, error_code: str | None = None) -> dict[str, str]:
    params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
              "AccountSid": ACCOUNT_SID, "From": BUSINESS, "To": CUSTOMER,
              "ApiVersion": "2010-04-01", "ChannelPrefix": "whatsapp"}
    if error_code is not None:
        params["ErrorCode"] = error_code
        params["ErrorMessage"] = ""
    return params


def telegram_user(user_id: int = 4242, language: str = "es",
                  first: str = "Ana", last: str = "Pérez") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first, "last_name": last,
            "language_code": language}


def telegram_message(text: str | None = None, user: dict[str, Any] | None = None,
                     update_id: int | None = None, **fields: Any) -> dict[str, Any]:
    """An Update carrying a private message, as Telegram posts it."""
    sender = user or telegram_user()
    message: dict[str, Any] = {
        "message_id": next(UPDATE_IDS) % 100_000, "date": 1_795_000_000, "from": sender,
        "chat": {"id": sender["id"], "type": "private", "first_name": sender["first_name"]},
        **fields}
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": update_id or next(UPDATE_IDS), "message": message}


def telegram_callback(data: str, keyboard: list[list[dict[str, str]]],
                      user: dict[str, Any] | None = None) -> dict[str, Any]:
    """An Update for a tap on an inline button under one of our messages."""
    sender = user or telegram_user()
    return {"update_id": next(UPDATE_IDS), "callback_query": {
        "id": str(next(UPDATE_IDS)), "from": sender, "chat_instance": "-99", "data": data,
        "message": {"message_id": 101, "date": 1_795_000_000, "text": "¿Te ayudó?",
                    "from": {"id": 7_000_001, "is_bot": True, "first_name": "Atiende"},
                    "chat": {"id": sender["id"], "type": "private"},
                    "reply_markup": {"inline_keyboard": keyboard}}}}


def telegram_post(base_url: str, update: dict[str, Any] | bytes,
                  secret: str | None = WEBHOOK_SECRET) -> httpx.Response:
    """POST an update to our webhook as Telegram does (JSON + the secret token header)."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    if isinstance(update, bytes):
        headers["Content-Type"] = "application/json"
        return httpx.post(f"{base_url}/webhooks/telegram", content=update, headers=headers,
                          timeout=30)
    return httpx.post(f"{base_url}/webhooks/telegram", json=update, headers=headers, timeout=30)
