"""The `channels.web` section of config.yaml: the widget's allowed sites and its limits."""

from __future__ import annotations

from pydantic import Field

from channels.base import ChannelSection

DEFAULT_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
                 "text/plain")


class WebChatConfig(ChannelSection):
    enabled: bool = True
    # Sites (scheme://host[:port]) whose pages may embed the widget; the server's own origin
    # (http.public_url) is always allowed. "*" allows any site.
    allowed_origins: tuple[str, ...] = ()
    max_message_chars: int = Field(2000, gt=0, le=20_000)
    max_attachment_bytes: int = Field(5 * 1024 * 1024, gt=0)
    attachment_types: tuple[str, ...] = DEFAULT_TYPES
    messages_per_minute: int = Field(20, gt=0)        # per visitor
    requests_per_minute_per_ip: int = Field(120, gt=0)
    visitor_days: int = Field(90, gt=0)               # how long a visitor's token stays valid
    # Live streams (SSE) one worker keeps open: per visitor (a further tab closes their oldest
    # stream) and in all (beyond it a new stream is refused with 429 and Retry-After).
    streams_per_visitor: int = Field(5, gt=0, le=100)
    max_streams: int = Field(2000, gt=0)
    media_dir: str = "media"
