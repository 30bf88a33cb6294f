"""WhatsApp's 24 h window as the inbox shows it: open, or which template a reply will use."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.engine.windows import find_last_inbound_many
from bot.store.models import Conversation
from channels.whatsapp.window import can_send_free_text


def window_notice(session: Session, config: AtiendeConfig, conversation: Conversation | None,
                  now: datetime) -> dict[str, str] | None:
    """None inside the window (or not WhatsApp); else the words key and the template's SID.

    The same rule the WhatsApp sender applies when it delivers the reply.
    """
    if conversation is None or conversation.channel != "whatsapp":
        return None
    last = find_last_inbound_many(session, "whatsapp", [conversation.address])
    if can_send_free_text(last.get(conversation.address), now):
        return None
    whatsapp = config.channels.whatsapp
    template = whatsapp.templates.get("agent_reply") if whatsapp is not None else None
    if template is None:
        return {"key": "window_no_template", "template": ""}
    return {"key": "window_closed", "template": template.content_sid}
