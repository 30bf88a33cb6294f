"""Shared pieces of the command line: --config, error handling, time options."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bot.config.root import AtiendeConfig, default_config, load_config
from bot.errors import AtiendeError, ConfigError
from channels.base import AdapterError
from kb.encoder import choose_encoder
from kb.loader import KbInvalid

if TYPE_CHECKING:
    from bot.app import Runtime

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_CONFIG = "config.yaml"


def fail(message: str, code: int = 2) -> None:
    click.echo(f"atiende: {message}", err=True)
    sys.exit(code)


def user_errors(func: F) -> F:
    """Turn Atiende's own errors into one line on stderr and exit code 2, no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KbInvalid as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            fail(str(exc))
        except (AtiendeError, AdapterError) as exc:
            fail(str(exc))

    return wrapper  # type: ignore[return-value]


def config_option(func: F) -> F:
    return click.option("--config", "config_path", default=None, metavar="PATH",
                        help=f"config file (default ./{DEFAULT_CONFIG})")(func)


def read_config(config_path: str | None) -> AtiendeConfig:
    """The given file; without --config, ./config.yaml or the built-in defaults (each with the
    environment's ATIENDE__… overrides)."""
    if config_path is None and not Path(DEFAULT_CONFIG).exists():
        config = default_config()
    else:
        config = load_config(config_path or DEFAULT_CONFIG)
    choose_encoder(config.kb.encoder)   # the process's sentence encoder follows its config
    return config


def parse_when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--now/--at: {value!r} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        raise ConfigError(f"--now/--at: {value!r} needs a UTC offset, e.g. 2026-11-23T09:00-05:00")
    return when


def parse_at(value: str, zone: str) -> datetime:
    """`--at`: an ISO 8601 time; without a UTC offset it is read in the desk's time zone."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--at: {value!r} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        from zoneinfo import ZoneInfo

        when = when.replace(tzinfo=ZoneInfo(zone))
    return when


def open_runtime(config_path: str | None) -> Runtime:
    """Database, KB and engine for a command (the schema is brought up to date)."""
    from bot.app import build_runtime

    return build_runtime(read_config(config_path))
