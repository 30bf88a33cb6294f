"""The help-desk sections of config.yaml: agents, VIPs, SLAs, escalation, on-call, ratings."""

# Pydantic copies field defaults per instance, so list/dict defaults are safe; ruff only
# knows that for models whose BaseModel base is in the same file (Section is imported).
# ruff: noqa: RUF012

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from bot.config.section import Section

Priority = Literal["low", "medium", "high", "critical"]
Category = Literal["technical", "functional", "billing", "account", "training", "customization",
                   "emergency", "suggestion"]


class AgentConfig(Section):
    name: str
    email: str
    level: int = Field(1, ge=1, le=4)
    supervisor: bool = False
    whatsapp: str | None = None   # "whatsapp:+57…", for on-call pages
    telegram: str | None = None   # "telegram:<chat id>", for on-call pages


class VipConfig(Section):
    contacts: list[str] = []
    # Categories only VIP customers may open a ticket in; a regular customer is told so.
    only_categories: list[Category] = ["training", "customization"]


class SlaTable(Section):
    critical: int = Field(gt=0)
    high: int = Field(gt=0)
    medium: int = Field(gt=0)
    low: int = Field(gt=0)


class FirstResponseConfig(Section):
    regular: SlaTable = SlaTable(critical=120, high=240, medium=480, low=1440)
    vip: SlaTable = SlaTable(critical=30, high=60, medium=120, low=240)


class ResolutionConfig(Section):
    regular: SlaTable = SlaTable(critical=480, high=1440, medium=2880, low=5760)
    vip: SlaTable = SlaTable(critical=240, high=480, medium=1440, low=2880)


class CategoryTargets(Section):
    """First-response targets per category, minutes (a category left out has none). A ticket
    is due at the stricter of its priority's and its category's target."""

    regular: dict[Category, int] = {}
    vip: dict[Category, int] = {}

    @field_validator("regular", "vip")
    @classmethod
    def positive(cls, table: dict[str, int]) -> dict[str, int]:
        bad = [name for name, minutes in table.items() if minutes <= 0]
        if bad:
            raise ValueError(f"targets must be more than 0 minutes ({', '.join(bad)})")
        return table


class SlaConfig(Section):
    first_response: FirstResponseConfig = FirstResponseConfig()
    first_response_by_category: CategoryTargets = CategoryTargets()
    resolution: ResolutionConfig = ResolutionConfig()
    vip_emergency_24x7: bool = True


class LadderStep(Section):
    """After `after_minutes` without agent activity, `from_` becomes `to`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    from_: Priority = Field(alias="from")
    to: Priority
    after_minutes: int = Field(gt=0)
    clock: Literal["business", "wall"] = "business"


class EscalationConfig(Section):
    warn_before_minutes: int = Field(15, ge=0)
    priority_ladder: list[LadderStep] = [
        LadderStep(from_="low", to="medium", after_minutes=3 * 24 * 60, clock="wall"),
        LadderStep(from_="medium", to="high", after_minutes=8 * 60),
        LadderStep(from_="high", to="critical", after_minutes=2 * 60),
    ]
    unanswered_minutes: int = Field(24 * 60, gt=0)   # wall-clock, any ticket
    reopen_limit: int = Field(3, ge=1)
    waiting_reminder_minutes: int = Field(48 * 60, gt=0)
    auto_close_minutes: int = Field(48 * 60, gt=0)


class OnCallConfig(Section):
    channel: Literal["email", "whatsapp", "telegram"] = "email"
    rotation: list[str] = []            # agent emails, one per week in turn
    rotation_start: date = date(2026, 1, 5)  # a Monday: week 0 of the rotation
    repage_minutes: int = Field(15, gt=0)
    supervisor_after_minutes: int = Field(30, gt=0)
    emergency_words: list[str] = [
        "sistema caido", "urgente", "no podemos vender", "no podemos facturar", "system down",
        "urgent", "cannot sell", "emergency", "emergencia",
    ]


class RatingsConfig(Section):
    """Satisfaction ratings asked when a ticket is resolved (bot/ratings.py)."""

    enabled: bool = True
    change_days: int = Field(14, gt=0)            # a rating may be given or changed this long
    low_score: int = Field(2, ge=1, le=5)         # at or below: escalate, tell the supervisors
    close_score: int = Field(4, ge=1, le=5)       # at or above: close after close_after_minutes
    close_after_minutes: int = Field(48 * 60, gt=0)


class InboxConfig(Section):
    """The agents' web inbox at /agent/ (bot/web/agent/)."""

    canned_path: str = "canned"                     # folder of canned responses (Markdown)
    session_hours: int = Field(12, gt=0)            # a sign-in lasts this long
    invite_hours: int = Field(72, gt=0)             # a one-time link expires after this
    lockout_failures: int = Field(5, gt=0)          # wrong passwords in a row before lock-out
    lockout_minutes: int = Field(15, gt=0)
    sla_soon_minutes: int = Field(60, gt=0)         # "SLA due soon" filter and amber colour
    secure_cookies: bool = False                    # true behind HTTPS (Secure cookie flag)


class NoticesConfig(Section):
    """What the customer is told when their ticket changes (bot/desk/notices.py). Non-urgent
    notices due inside `quiet_hours` (desk time, "21:00-07:00"; null: none) wait for its end."""

    assigned: bool = True          # "Ana is taking care of ticket #12"
    resolved: bool = True
    reminder: bool = True          # waiting on the customer for escalation.waiting_reminder_minutes
    info_requested: bool = True    # an agent set "waiting on you" without answering: say so
    status_changed: bool = True    # an agent set "in progress" without a word to the customer
    quiet_hours: str | None = Field("21:00-07:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")
