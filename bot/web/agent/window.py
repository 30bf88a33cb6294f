"""WhatsApp's 24 h window as the inbox shows it: open, or the approved template a reply must use.

Outside the window the composer offers the configured templates for an agent's answer instead of
free text; the agent's text fills the template's {text} variable (the WhatsApp sender does the
filling when it delivers, by the same rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.desk.agent_commands import CommandError
from bot.engine.windows import find_last_inbound_many
from bot.store.models import Conversation, Ticket
from channels.whatsapp.window import TEMPLATE_VARIABLE_CHARS, can_send_free_text, purpose_of

REPLY_PURPOSE = purpose_of("agent_reply")
TEXT_SLOT = "‹…›"   # where the agent's text goes in a template's preview


@dataclass(frozen=True)
class TemplateChoice:
    """One approved template the composer offers: its purpose (the form value), SID and what
    each of its variables will say."""

    purpose: str
    content_sid: str
    preview: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class WindowNotice:
    key: str                                  # words key of the notice
    templates: list[TemplateChoice] = field(default_factory=list)
    text_limit: int = TEMPLATE_VARIABLE_CHARS

    @property
    def template(self) -> str:
        return self.templates[0].content_sid if self.templates else ""


def is_closed(session: Session, conversation: Conversation | None, now: datetime) -> bool:
    """A WhatsApp conversation whose customer last wrote 24 h ago or more (or never)."""
    if conversation is None or conversation.channel != "whatsapp":
        return False
    last = find_last_inbound_many(session, "whatsapp", [conversation.address])
    return not can_send_free_text(last.get(conversation.address), now)


def reply_templates(config: AtiendeConfig, ticket: Ticket) -> list[TemplateChoice]:
    """The configured templates that can carry an agent's answer, with a filled-in preview."""
    whatsapp = config.channels.whatsapp
    template = whatsapp.templates.get(REPLY_PURPOSE) if whatsapp is not None else None
    if template is None:
        return []
    values = {"text": TEXT_SLOT, "ticket_number": str(ticket.number),
              "subject": ticket.subject or "", "company": config.bot.company_name}
    preview = [(f"{{{{{name}}}}}", pattern.format_map(Keep(values)))
               for name, pattern in sorted(template.variables.items())]
    return [TemplateChoice(REPLY_PURPOSE, template.content_sid, preview)]


class Keep(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def window_notice(session: Session, config: AtiendeConfig, ticket: Ticket,
                  conversation: Conversation | None, now: datetime) -> WindowNotice | None:
    """None inside the window (or not WhatsApp); else the notice and the templates offered."""
    if not is_closed(session, conversation, now):
        return None
    templates = reply_templates(config, ticket)
    return WindowNotice("window_closed" if templates else "window_no_template", templates)


def check_reply_template(session: Session, config: AtiendeConfig, ticket: Ticket,
                         conversation: Conversation | None, chosen: str | None, text: str,
                         now: datetime) -> None:
    """Outside the window a reply must name one of the offered templates (the page offered
    them instead of free text); inside it, or with none configured, nothing is needed."""
    notice = window_notice(session, config, ticket, conversation, now)
    if notice is None or not notice.templates:
        return
    if chosen not in {choice.purpose for choice in notice.templates}:
        raise CommandError("window_pick_template")
    if len(text.strip()) > notice.text_limit:
        raise CommandError(f"window_text_long:{notice.text_limit}")
