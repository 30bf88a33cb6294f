"""The one pydantic model for config.yaml, with ATIENDE__SECTION__KEY environment overrides."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.errors import ConfigError

ENV_PREFIX = "ATIENDE__"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RANGE_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
Priority = Literal["low", "medium", "high", "critical"]


def check_ranges(where: str, ranges: list[str]) -> list[str]:
    """Ranges are "HH:MM-HH:MM"; an end at or before the start crosses midnight."""
    for item in ranges:
        if not RANGE_RE.match(item):
            raise ValueError(f"{where}: {item!r} is not a range like 08:00-17:00")
    return ranges


class Section(BaseModel):
    """Base of every config section: unknown keys are typos, so they are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(Section):
    url: str = "sqlite:///atiende.db"


class HttpConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8000"


class KbConfig(Section):
    path: str = "kb/articles"


class ExtraOpenDay(Section):
    """A date the desk opens although it is a holiday or a closed weekday."""

    date: date
    hours: list[str] = []

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: list[str]) -> list[str]:
        return check_ranges("hours", value)


class HolidaysConfig(Section):
    country: str | None = "CO"
    subdivision: str | None = None
    extra_closed: list[date] = []
    extra_open: list[date | ExtraOpenDay] = []

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        import holidays

        if value is not None and value.upper() not in holidays.list_supported_countries():
            raise ValueError(f"unknown country code {value!r} (ISO 3166 alpha-2, e.g. CO)")
        return value.upper() if value else None


class BusinessHoursConfig(Section):
    timezone: str = "America/Bogota"
    weekly: dict[str, list[str]] = {
        "mon": ["08:00-17:00"], "tue": ["08:00-17:00"], "wed": ["08:00-17:00"],
        "thu": ["08:00-17:00"], "fri": ["08:00-14:00"],
    }
    holidays: HolidaysConfig = HolidaysConfig()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {value!r} (use an IANA name such as America/Bogota)") from None
        return value

    @field_validator("weekly")
    @classmethod
    def _valid_ranges(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, ranges in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown day {day!r} (use {', '.join(WEEKDAYS)})")
            check_ranges(day, ranges)
        return value


class AgentConfig(Section):
    name: str
    email: str
    level: int = Field(1, ge=1, le=4)
    supervisor: bool = False
    whatsapp: str | None = None   # "whatsapp:+57…", for on-call pages
    telegram: str | None = None   # "telegram:<chat id>", for on-call pages


class VipConfig(Section):
    contacts: list[str] = []


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


class SlaConfig(Section):
    first_response: FirstResponseConfig = FirstResponseConfig()
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


TemplatePurpose = Literal["agent_reply", "rating_request", "page"]


class WhatsAppTemplate(Section):
    """An approved Twilio Content API template, used outside the 24 h window.

    `variables` maps the template's placeholders ("1", "2", …) to text in which {text},
    {ticket_number}, {subject} and {company} are filled in from the message.
    """

    content_sid: str = Field(pattern=r"^HX[0-9a-fA-F]{32}$")
    variables: dict[str, str] = {"1": "{ticket_number}", "2": "{text}"}


class WhatsAppConfig(Section):
    from_address: str = "whatsapp:+14155238886"
    api_base_url: str = "https://api.twilio.com"
    templates: dict[TemplatePurpose, WhatsAppTemplate] = {}
    status_callbacks: bool = True          # ask Twilio to post delivery statuses back
    media_dir: str = "media"               # downloaded attachments; relative to config.yaml
    media_max_bytes: int = Field(16 * 1024 * 1024, gt=0)
    media_timeout_seconds: float = Field(8.0, gt=0)


class TelegramConfig(Section):
    mode: Literal["webhook", "polling"] = "webhook"
    api_base_url: str = "https://api.telegram.org"
    poll_interval_seconds: float = Field(0.0, ge=0)
    poll_timeout_seconds: int = Field(10, ge=0)
    per_chat_per_second: float = Field(1.0, gt=0)     # Telegram: about 1 message/s per chat
    overall_per_second: float = Field(30.0, gt=0)     # and 30 messages/s per bot
    media_dir: str = "media"
    media_max_bytes: int = Field(20 * 1024 * 1024, gt=0)  # the Bot API's download limit


class HostPort(Section):
    host: str = "127.0.0.1"
    port: int = Field(25, ge=1, le=65535)


class SmtpInboundConfig(HostPort):
    """The SMTP server Atiende runs (MX or relay target); AUTH password: SMTP_INBOUND_PASSWORD."""

    max_message_bytes: int = Field(25 * 1024 * 1024, gt=0)   # larger mail: 552
    auth_username: str | None = None      # set to require AUTH PLAIN/LOGIN
    tls_cert_file: str | None = None      # both files set: STARTTLS is offered
    tls_key_file: str | None = None
    require_starttls: bool = False


class SmtpOutboundConfig(HostPort):
    """The relay Atiende sends through; password from SMTP_PASSWORD."""

    username: str | None = None
    starttls: bool = False                # upgrade a plain connection (port 587)
    ssl: bool = False                     # implicit TLS (port 465)
    timeout_seconds: float = Field(30.0, gt=0)


class ImapConfig(Section):
    host: str | None = None
    port: int = Field(993, ge=1, le=65535)
    ssl: bool = True
    username: str | None = None
    mailbox: str = "INBOX"
    idle: bool = True                     # IMAP IDLE when the server has it
    poll_interval_seconds: float = Field(60.0, gt=0)   # re-check even without IDLE news
    processed_mailbox: str | None = None  # move processed mail there; else flag it
    processed_flag: str = "$AtiendeProcessed"
    reconnect_max_seconds: float = Field(300.0, gt=0)
    batch_size: int = Field(200, gt=0)


class AutoReplyLimit(Section):
    """At most `count` automatic replies to one recipient per `hours` (RFC 3834 etiquette)."""

    count: int = Field(10, ge=0)
    hours: float = Field(3.0, gt=0)


class EmailConfig(Section):
    support_address: str = "soporte@example.com"
    smtp_inbound: SmtpInboundConfig = SmtpInboundConfig(port=2525)
    smtp_outbound: SmtpOutboundConfig = SmtpOutboundConfig(port=25)
    imap: ImapConfig = ImapConfig()
    auto_reply_limit: AutoReplyLimit = AutoReplyLimit()
    max_text_chars: int = Field(100_000, gt=0)   # text for the engine; the raw mail is kept whole


class ChannelsConfig(Section):
    whatsapp: WhatsAppConfig | None = None
    telegram: TelegramConfig | None = None
    email: EmailConfig | None = None


class BotConfig(Section):
    default_language: Literal["es", "en"] = "es"
    company_name: str = "Atiende"
    conversation_timeout_hours: int = Field(24, gt=0)
    timezone_label: dict[str, str] = {"es": "hora de Colombia", "en": "Colombia time"}


class RatingsConfig(Section):
    """Satisfaction ratings asked when a ticket is resolved (bot/ratings.py)."""

    enabled: bool = True
    change_days: int = Field(14, gt=0)            # a rating may be given or changed this long
    low_score: int = Field(2, ge=1, le=5)         # at or below: escalate, tell the supervisors
    close_score: int = Field(4, ge=1, le=5)       # at or above: close after close_after_minutes
    close_after_minutes: int = Field(48 * 60, gt=0)


class AtiendeConfig(Section):
    """Everything config.yaml may hold; `source` is the file it came from."""

    database: DatabaseConfig = DatabaseConfig()
    http: HttpConfig = HttpConfig()
    kb: KbConfig = KbConfig()
    business_hours: BusinessHoursConfig = BusinessHoursConfig()
    agents: list[AgentConfig] = []
    vip: VipConfig = VipConfig()
    sla: SlaConfig = SlaConfig()
    escalation: EscalationConfig = EscalationConfig()
    on_call: OnCallConfig = OnCallConfig()
    channels: ChannelsConfig = ChannelsConfig()
    bot: BotConfig = BotConfig()
    ratings: RatingsConfig = RatingsConfig()
    source: str = Field("<defaults>", exclude=True)
    base_dir: str = Field("", exclude=True)  # the config file's folder, fixed at load time

    def kb_path(self) -> Path:
        """The KB folder; a relative path is taken from the config file's folder."""
        path = Path(self.kb.path)
        if path.is_absolute() or not self.base_dir:
            return path
        return Path(self.base_dir) / path

    def is_vip_address(self, address: str) -> bool:
        return address.lower() in {item.lower() for item in self.vip.contacts}

    def find_agent(self, email: str) -> AgentConfig | None:
        return next((a for a in self.agents if a.email.lower() == email.lower()), None)


def load_config(path: str | Path = "config.yaml",
                environ: dict[str, str] | None = None) -> AtiendeConfig:
    """Read, override from the environment and validate; raise ConfigError with one line."""
    env = os.environ if environ is None else environ
    data = read_yaml_mapping(Path(path))
    apply_env_overrides(data, env, str(path))
    try:
        return AtiendeConfig.model_validate(
            {**data, "source": str(path), "base_dir": str(Path(path).resolve().parent)})
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, str(path))) from None


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(f"{path}: file not found (copy config.yaml from the repository)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or exc
        raise ConfigError(f"{path}:{where} not valid YAML ({problem})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    return data


def apply_env_overrides(data: dict[str, Any], environ: Any, source: str) -> None:
    """Set data[a][b][c] from ATIENDE__A__B__C; values are parsed as YAML scalars/lists."""
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        keys = [part.lower() for part in name[len(ENV_PREFIX):].split("__") if part]
        if not keys:
            continue
        node = data
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = {}
                node[key] = child
            node = child
        node[keys[-1]] = parse_env_value(raw, name, source)


def parse_env_value(raw: str, name: str, source: str) -> Any:
    try:
        return yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        raise ConfigError(f"{source}: environment variable {name} is not a valid value") from None


def describe_validation_error(exc: ValidationError, source: str) -> str:
    first = exc.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key (check its spelling and section)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{source}: {key}: {message}{more}"
