"""Our X-Twilio-Signature check agrees with Twilio's own validator, for any form and URL."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import ImmutableMultiDict
from twilio.request_validator import RequestValidator

from channels.whatsapp.signature import TwilioSignature

TOKEN = "12345678901234567890123456789012"
URLS = ["https://example.com/webhooks/whatsapp", "https://example.com:443/webhooks/whatsapp",
        "http://127.0.0.1:8000/webhooks/whatsapp/status?outbox=12",
        "http://bot.example.com/webhooks/whatsapp?a=1&b="]
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
pairs = st.lists(st.tuples(st.sampled_from(["Body", "From", "MessageSid", "MediaUrl0", "x"]),
                           text), max_size=8)


def twilio_forms(url: str) -> list[str]:
    """The URL forms Twilio's validator accepts: as called, and with/without the port."""
    return [url, url.replace(":443/", "/"), url.replace("example.com/", "example.com:443/"),
            url.replace(":8000/", "/")]


@settings(max_examples=300, deadline=None)
@given(pairs=pairs, url=st.sampled_from(URLS), signed_url=st.sampled_from([*URLS, "x"]),
       token=st.sampled_from([TOKEN, "other-token"]))
def test_valid_exactly_when_twilios_validator_says_so(
        pairs: list[tuple[str, str]], url: str, signed_url: str, token: str) -> None:
    form = ImmutableMultiDict(pairs)
    theirs = RequestValidator(TOKEN)
    for signing_url in [*twilio_forms(url), signed_url]:
        signature = RequestValidator(token).compute_signature(signing_url, form)
        assert TwilioSignature(TOKEN).is_valid(url, form, signature) == theirs.validate(
            url, form, signature)


def test_a_signed_request_passes_and_a_changed_one_does_not() -> None:
    url = "https://example.com/webhooks/whatsapp"
    form = ImmutableMultiDict([("Body", "hola"), ("From", "whatsapp:+573001234567")])
    signature = RequestValidator(TOKEN).compute_signature(url, form)
    check = TwilioSignature(TOKEN)
    assert check.is_valid(url, form, signature)
    assert check.is_valid("https://example.com:443/webhooks/whatsapp", form, signature)
    assert not check.is_valid(url, ImmutableMultiDict([("Body", "adiós")]), signature)
    assert not check.is_valid(url + "?x=1", form, signature)
    assert not check.is_valid(url, form, signature[:-2] + "ñ=")
    assert not check.is_valid(url, form, "")
