"""Twilio's request signature (`X-Twilio-Signature`), checked in one pass over the form."""

from __future__ import annotations

import base64
import hmac
from functools import lru_cache
from urllib.parse import urlparse

from starlette.datastructures import ImmutableMultiDict


class TwilioSignature:
    """Twilio signs the URL it called followed by every POST parameter's name and value (names
    sorted, each name's distinct values sorted) with HMAC-SHA1 keyed by the auth token, base64.
    As in Twilio's own validator, the URL is accepted with or without its port (a default port
    is added or dropped on the way). The parameters are joined once and only the HMAC is
    computed per URL form; the comparison takes constant time."""

    def __init__(self, auth_token: str) -> None:
        self.key = auth_token.encode("utf-8")

    def is_valid(self, url: str, form: ImmutableMultiDict[str, str], signature: str) -> bool:
        values: dict[str, set[str]] = {}
        for name, value in form.multi_items():
            values.setdefault(name, set()).add(value)
        signed = "".join(name + value for name in sorted(values)
                         for value in sorted(values[name]))
        given = signature.encode("utf-8", errors="replace")
        return any(hmac.compare_digest(self.sign(variant + signed), given)
                   for variant in url_forms(url))

    def sign(self, text: str) -> bytes:
        return base64.b64encode(hmac.digest(self.key, text.encode("utf-8"), "sha1"))


@lru_cache(maxsize=256)
def url_forms(url: str) -> tuple[str, ...]:
    """The URL as given, then without or with its port (443 for https, 80 otherwise, when
    none is given): the form Twilio was configured with is tried first, so a valid
    signature costs one HMAC."""
    parsed = urlparse(url)
    if parsed.port:
        return (parsed.geturl(), parsed._replace(netloc=parsed.netloc.split(":")[0]).geturl())
    port = 443 if parsed.scheme == "https" else 80
    return (parsed.geturl(), parsed._replace(netloc=f"{parsed.netloc}:{port}").geturl())
