"""WhatsApp's plugin for `atiende serve`: on with its config section and the Twilio credentials."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.routing import Route

from channels.base import ChannelContext
from channels.media import media_store
from channels.registry import ChannelPlugin, off
from channels.whatsapp.config import WhatsAppConfig
from channels.whatsapp.sender import Credentials, WhatsAppChannel
from channels.whatsapp.webhooks import WhatsAppWebhooks
from channels.whatsapp.wire import CHANNEL

WEBHOOK_PATH = "/webhooks/whatsapp"
STATUS_PATH = "/webhooks/whatsapp/status"


def find_credentials(environ: Mapping[str, str]) -> Credentials | None:
    sid, token = environ.get("TWILIO_ACCOUNT_SID", ""), environ.get("TWILIO_AUTH_TOKEN", "")
    return Credentials(sid, token) if sid and token else None


def build_plugin(section: WhatsAppConfig | None, context: ChannelContext) -> ChannelPlugin:
    """WhatsApp is on when the config section and TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN exist."""
    if section is None:
        return off(CHANNEL, "no channels.whatsapp section in config.yaml")
    credentials = find_credentials(context.environ)
    if credentials is None:
        return off(CHANNEL, "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not both set")
    public = context.public_url.rstrip("/")
    media = media_store(context.data_dir, section.media_dir, CHANNEL, section.media_max_bytes)
    channel = WhatsAppChannel(section, credentials, public, context.sink, context.now,
                              context.company_name)
    hooks = WhatsAppWebhooks(section, credentials, media, context.sink, context.now, public,
                             window_closed=channel.forget_window)
    return ChannelPlugin(
        name=CHANNEL,
        status=f"on: Twilio webhook {public}{WEBHOOK_PATH}, status callback "
               f"{public}{STATUS_PATH}, sending as {section.from_address}",
        channel=channel,
        routes=[Route(WEBHOOK_PATH, hooks.message, methods=["POST"]),
                Route(STATUS_PATH, hooks.status, methods=["POST"])],
        shutdown=[channel.close],
    )
