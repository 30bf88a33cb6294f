"""The root pydantic model for config.yaml, with ATIENDE__SECTION__KEY environment overrides.

The sections live in bot/config/hours.py, desk.py and channels.py (which composes each
channel's own sub-model, e.g. channels/whatsapp/config.py); import a channel's model from there.
"""

# Pydantic copies field defaults per instance, so list/dict defaults are safe; ruff only
# knows that for models whose BaseModel base is in the same file (Section is imported).
# ruff: noqa: RUF012

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError

from bot.config.branding import BrandingConfig
from bot.config.channels import (
    ChannelsConfig,
)
from bot.config.customer_web import CustomerWebConfig
from bot.config.desk import (
    AgentConfig,
    EscalationConfig,
    InboxConfig,
    NoticesConfig,
    OnCallConfig,
    RatingsConfig,
    SlaConfig,
    VipConfig,
)
from bot.config.hours import (
    BusinessHoursConfig,
)
from bot.config.section import Section
from bot.config.triage import TriageConfig
from bot.errors import ConfigError

ENV_PREFIX = "ATIENDE__"


class DatabaseConfig(Section):
    url: str = "sqlite:///atiende.db"
    # PostgreSQL: a database that accepts connections but does not answer must cost a
    # webhook a 503 within seconds (Twilio waits 15 s), not a hang.
    connect_timeout_seconds: float = Field(5.0, gt=0, le=300)
    statement_timeout_seconds: float = Field(10.0, gt=0, le=3600)
    pool_timeout_seconds: float = Field(5.0, gt=0, le=300)


class OutboxConfig(Section):
    """The outbox dispatcher (`atiende serve`): woken by each commit that queues a reply,
    with a poll as a safety net; per-provider send rates live in each channel's section."""

    concurrency: int = Field(16, ge=1, le=1000)       # recipients served at once
    batch_size: int = Field(100, ge=1, le=10_000)     # rows claimed per pass
    poll_seconds: float = Field(1.0, gt=0, le=3600)   # safety net (and retries coming due)
    # a claim older than this was left by a process that died mid-send (longer than a send
    # can take: Twilio's 15 s timeout per part, rate-limit waits)
    claim_seconds: float = Field(60.0, ge=1, le=86_400)
    # a recipient's bot replies queued behind a send (a burst, a provider's rate limit) leave
    # as one message, up to the channel's length (WhatsApp, Telegram)
    join_replies: bool = True


class JobsConfig(Section):
    """How often `atiende serve`'s periodic jobs run (the outbox: `outbox.poll_seconds`)."""

    # SLA warnings, breaches, escalation, reminders, auto-close and pages coming due
    sla_sweep_seconds: float = Field(30.0, ge=1, le=3600)
    # a message stored this long ago and still unrouted (its process stopped before routing
    # it) is routed by the retry job, which runs this often; younger ones may still be in a
    # worker's routing queue
    retry_unrouted_seconds: float = Field(60.0, ge=1, le=3600)


class HttpConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8000"
    access_log: bool = False   # one line per request (costs CPU at high request rates)


class KbConfig(Section):
    path: str = "kb/articles"
    # the sentence encoder of the meaning signal: auto (the best installed), e5, use, none
    encoder: Literal["auto", "e5", "use", "none"] = "auto"


class BotConfig(Section):
    default_language: Literal["es", "en"] = "es"
    company_name: str = "Atiende"
    conversation_timeout_hours: int = Field(24, gt=0)
    timezone_label: dict[str, str] = {"es": "hora de Colombia", "en": "Colombia time"}


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
    inbox: InboxConfig = InboxConfig()
    notices: NoticesConfig = NoticesConfig()
    branding: BrandingConfig = BrandingConfig()   # the help center's logo and colour
    customer_web: CustomerWebConfig = CustomerWebConfig()
    outbox: OutboxConfig = OutboxConfig()
    jobs: JobsConfig = JobsConfig()
    triage: TriageConfig = TriageConfig()
    source: str = Field("<defaults>", exclude=True)
    base_dir: str = Field("", exclude=True)  # the config file's folder, fixed at load time

    def resolve_path(self, value: str | Path) -> Path:
        """A path from the config: a relative one is taken from the config file's folder."""
        path = Path(value)
        if path.is_absolute() or not self.base_dir:
            return path
        return Path(self.base_dir) / path

    def kb_path(self) -> Path:
        return self.resolve_path(self.kb.path)

    def is_vip_address(self, address: str) -> bool:
        return address.lower() in {item.lower() for item in self.vip.contacts}

    def find_agent(self, email: str) -> AgentConfig | None:
        return next((a for a in self.agents if a.email.lower() == email.lower()), None)


def load_config(path: str | Path = "config.yaml",
                environ: dict[str, str] | None = None) -> AtiendeConfig:
    """Read, override from the environment and validate; raise ConfigError with one line."""
    return validated(read_yaml_mapping(Path(path)), str(path),
                     str(Path(path).resolve().parent), environ)


def default_config(environ: dict[str, str] | None = None) -> AtiendeConfig:
    """The built-in defaults (no config file) with the environment's ATIENDE__… overrides."""
    return validated({}, "<defaults>", "", environ)


def validated(data: dict[str, Any], source: str, base_dir: str,
              environ: dict[str, str] | None) -> AtiendeConfig:
    env = os.environ if environ is None else environ
    overridden = apply_env_overrides(data, env, source)
    try:
        return AtiendeConfig.model_validate({**data, "source": source, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, source, overridden)) from None


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


def apply_env_overrides(data: dict[str, Any], environ: Any,
                        source: str) -> dict[tuple[str, ...], str]:
    """Set data[a][b][c] from ATIENDE__A__B__C; values are parsed as YAML scalars/lists.

    Returns which key paths came from which variable (errors name the variable)."""
    overridden: dict[tuple[str, ...], str] = {}
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
        overridden[tuple(keys)] = name
    return overridden


def parse_env_value(raw: str, name: str, source: str) -> Any:
    try:
        return yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        raise ConfigError(f"environment variable {name}: not a valid YAML value "
                          f"(it overrides a key of {source})") from None


def describe_validation_error(exc: ValidationError, source: str,
                              overridden: dict[tuple[str, ...], str] | None = None) -> str:
    """One line: where the bad value came from (the file, or the environment variable that
    set it), the key, and what is wrong."""
    first = exc.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key (check its spelling and section)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    variable = find_override(overridden or {}, tuple(str(part) for part in first["loc"]))
    origin = f"environment variable {variable}" if variable else source
    return f"{origin}: {key}: {message}{more}"


def find_override(overridden: dict[tuple[str, ...], str], loc: tuple[str, ...]) -> str | None:
    """The variable that set this key or one of its parents, if any."""
    for length in range(len(loc), 0, -1):
        if loc[:length] in overridden:
            return overridden[loc[:length]]
    return None
