"""The customers' web pages (`customer_web`): the ticket form at /tickets/new and /my/."""

from __future__ import annotations

from pydantic import Field

from bot.config.section import Section

DEFAULT_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
                 "text/plain", "text/csv")


class CustomerWebConfig(Section):
    """Links' lifetimes, upload limits and per-IP rate limits (bot/web/customer/)."""

    enabled: bool = True
    confirm_hours: int = Field(24, gt=0)          # the "confirm your ticket" link
    sign_in_minutes: int = Field(30, gt=0)        # the one-time "my tickets" link
    session_hours: int = Field(12, gt=0)          # a my-tickets sign-in lasts this long
    secure_cookies: bool = False                  # true behind HTTPS (Secure cookie flag)
    max_attachments: int = Field(5, ge=0)
    max_attachment_bytes: int = Field(5 * 1024 * 1024, gt=0)
    attachment_types: tuple[str, ...] = DEFAULT_TYPES
    new_tickets_per_hour: int = Field(5, gt=0)    # per IP address: ticket forms sent
    sign_ins_per_hour: int = Field(10, gt=0)      # per IP address: sign-in links asked for
    posts_per_minute: int = Field(30, gt=0)       # per IP address: comments, confirmations…
    suggestions_per_minute: int = Field(60, gt=0)  # per IP address: KB suggestions while typing
