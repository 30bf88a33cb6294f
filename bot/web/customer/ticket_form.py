"""The ticket form's fields, checked: lengths, choices and the address."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from bot.store.models import CATEGORIES, PRIORITIES
from bot.web.customer.uploads import FormRefused

EMAIL = re.compile(r"^[^@\s<>\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}$")
LIMITS = {"name": 200, "title": 200, "description": 10_000, "module": 100, "browser": 200}
REQUIRED = ("title", "description")
LABELS = {"es": ("Módulo", "Navegador / sistema"), "en": ("Module", "Browser / OS")}


@dataclass(frozen=True)
class TicketForm:
    email: str
    category: str
    priority: str
    title: str
    description: str
    name: str = ""
    module: str = ""
    browser: str = ""

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    def ticket_text(self, lang: str) -> str:
        """What the agents read: the description, then module and browser when given."""
        labels = LABELS["en" if lang == "en" else "es"]
        extra = [f"{label}: {value}" for label, value in
                 zip(labels, (self.module, self.browser), strict=True) if value]
        return "\n\n".join([self.description, "\n".join(extra)]) if extra else self.description


def parse_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 320 or not EMAIL.match(email):
        raise FormRefused("bad_email")
    return email


def parse_ticket_form(fields: dict[str, str]) -> TicketForm:
    """The form as posted, or FormRefused naming the first field that is wrong."""
    values = {key: fields.get(key, "").strip() for key in LIMITS}
    for key in REQUIRED:
        if not values[key]:
            raise FormRefused("required", field=key)
    for key, limit in LIMITS.items():
        if len(values[key]) > limit:
            raise FormRefused("too_long", field=key, n=limit)
    category, priority = fields.get("category", ""), fields.get("priority", "")
    if category not in CATEGORIES:
        raise FormRefused("bad_choice", field="category")
    if priority not in PRIORITIES:
        raise FormRefused("bad_choice", field="priority")
    return TicketForm(email=parse_email(fields.get("email", "")), category=category,
                      priority=priority, **values)
