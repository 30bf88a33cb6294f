"""config.yaml and ATIENDE__ overrides: defaults, nesting, one-line errors naming file and key."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.cli.base import read_config
from bot.config.root import AtiendeConfig, load_config
from bot.errors import ConfigError
from channels.telegram.config import TelegramConfig
from channels.whatsapp.config import WhatsAppConfig

REPO = Path(__file__).resolve().parents[1]
REPO_CONFIG = REPO / "config.yaml"


def write(folder: Path, text: str, name: str = "config.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def config_error(path: Path, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ or {})
    message = str(caught.value)
    assert "\n" not in message, "a config error is one line"
    return message


# --- the repository's config.yaml -------------------------------------------------------------

def test_repo_config_has_the_documented_defaults() -> None:
    config = load_config(REPO_CONFIG, environ={})
    assert config.database.url == "sqlite:///atiende.db"
    assert (config.http.host, config.http.port) == ("127.0.0.1", 8000)
    assert config.http.public_url == "http://127.0.0.1:8000"
    assert config.kb.path == "kb/articles"
    assert config.business_hours.timezone == "America/Bogota"
    assert config.business_hours.weekly["mon"] == ["08:00-17:00"]
    assert config.business_hours.weekly["fri"] == ["08:00-14:00"]
    assert "sat" not in config.business_hours.weekly
    assert config.business_hours.holidays.country == "CO"
    assert [(a.name, a.level, a.supervisor) for a in config.agents] == [
        ("Ana", 1, False), ("Luis", 2, True)]
    assert config.sla.first_response.regular.critical == 120
    assert config.sla.first_response.regular.low == 1440
    assert config.sla.first_response.vip.critical == 30
    assert config.sla.vip_emergency_24x7 is True


def test_repo_config_channels_point_at_the_real_clouds_by_default() -> None:
    """config.yaml leaves the provider API addresses at the built-in production defaults
    (tests name no cloud host: they talk to local fakes only)."""
    channels = load_config(REPO_CONFIG, environ={}).channels
    assert channels.whatsapp is not None and channels.telegram is not None
    assert channels.email is not None
    for section, model in ((channels.whatsapp, WhatsAppConfig),
                           (channels.telegram, TelegramConfig)):
        assert section.api_base_url == model.model_fields["api_base_url"].default
        url = urlsplit(section.api_base_url)
        assert url.scheme == "https" and url.hostname not in ("127.0.0.1", "localhost")
    assert channels.telegram.mode == "webhook"
    assert (channels.email.smtp_inbound.host, channels.email.smtp_inbound.port) == (
        "127.0.0.1", 2525)
    assert channels.email.imap.host is None


def test_an_empty_file_means_every_default(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""), environ={})
    assert config.database.url == "sqlite:///atiende.db"
    assert config.http.port == 8000


# --- environment overrides -------------------------------------------------------------------

def test_nested_environment_override_changes_one_key_and_keeps_its_siblings() -> None:
    environ = {"ATIENDE__CHANNELS__EMAIL__SMTP_INBOUND__PORT": "2526"}
    email = load_config(REPO_CONFIG, environ=environ).channels.email
    assert email is not None
    assert email.smtp_inbound.port == 2526
    assert email.smtp_inbound.host == "127.0.0.1"
    assert email.support_address == "soporte@example.com"


def test_database_url_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    config = load_config(REPO_CONFIG, environ={"ATIENDE__DATABASE__URL": url})
    assert config.database.url == url


def test_overrides_are_read_from_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATIENDE__HTTP__PORT", "8080")
    assert load_config(REPO_CONFIG).http.port == 8080


def test_variables_without_the_prefix_are_ignored() -> None:
    config = load_config(REPO_CONFIG, environ={"HTTP__PORT": "1", "ATIENDE_HTTP_PORT": "2"})
    assert config.http.port == 8000


def test_a_bad_value_from_the_environment_names_the_variable_and_key() -> None:
    message = config_error(REPO_CONFIG, {"ATIENDE__CHANNELS__EMAIL__SMTP_INBOUND__PORT": "abc"})
    assert message.startswith("environment variable ATIENDE__CHANNELS__EMAIL__SMTP_INBOUND__PORT"
                              ": channels.email.smtp_inbound.port: ")
    assert "integer" in message and str(REPO_CONFIG) not in message


def test_a_misspelt_environment_key_is_an_unknown_key_named_by_its_variable() -> None:
    message = config_error(REPO_CONFIG, {"ATIENDE__DATABASE__ULR": "sqlite:///x.db"})
    assert message.startswith("environment variable ATIENDE__DATABASE__ULR: database.ulr: "
                              "unknown key")


def test_without_a_config_file_the_cli_still_takes_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)   # no ./config.yaml: the built-in defaults
    monkeypatch.setenv("ATIENDE__HTTP__PORT", "8181")
    monkeypatch.setenv("ATIENDE__BOT__COMPANY_NAME", "Facturas Ya")
    config = read_config(None)
    assert (config.http.port, config.bot.company_name) == (8181, "Facturas Ya")
    assert config.database.url == AtiendeConfig().database.url


def test_without_a_config_file_a_bad_variable_is_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ATIENDE__HTTP__PORT", "abc")
    with pytest.raises(ConfigError) as caught:
        read_config(None)
    assert str(caught.value).startswith("environment variable ATIENDE__HTTP__PORT: http.port: ")


def test_a_bad_value_in_the_file_still_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "desk.yaml"
    path.write_text("http:\n  port: abc\n", encoding="utf-8")
    message = config_error(path, {"ATIENDE__DATABASE__URL": "sqlite:///x.db"})
    assert message.startswith(f"{path}: http.port: ")


# --- mistakes in the file --------------------------------------------------------------------

def test_a_bad_port_in_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "http:\n  port: abc\n")
    message = config_error(path)
    assert message.startswith(f"{path}: http.port: ")
    assert "integer" in message


def test_an_out_of_range_port(tmp_path: Path) -> None:
    path = write(tmp_path, "channels:\n  email:\n    smtp_inbound: {port: 70000}\n")
    assert config_error(path).startswith(f"{path}: channels.email.smtp_inbound.port: ")


def test_a_job_interval_below_a_second_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs:\n  retry_unrouted_seconds: 0\n")
    assert config_error(path).startswith(f"{path}: jobs.retry_unrouted_seconds: ")


def test_a_typo_in_a_key_is_an_unknown_key(tmp_path: Path) -> None:
    path = write(tmp_path, "http:\n  prot: 8000\n")
    assert config_error(path) == (
        f"{path}: http.prot: unknown key (check its spelling and section)")


def test_a_typo_in_a_section_name_is_an_unknown_key(tmp_path: Path) -> None:
    path = write(tmp_path, "databse:\n  url: sqlite:///x.db\n")
    assert config_error(path).startswith(f"{path}: databse: unknown key")


def test_a_bad_timezone(tmp_path: Path) -> None:
    path = write(tmp_path, "business_hours:\n  timezone: America/Bogata\n")
    message = config_error(path)
    assert message.startswith(f"{path}: business_hours.timezone: ")
    assert "America/Bogata" in message


def test_a_bad_weekly_range(tmp_path: Path) -> None:
    path = write(tmp_path, 'business_hours:\n  weekly:\n    mon: ["8-17"]\n')
    message = config_error(path)
    assert message.startswith(f"{path}: business_hours.weekly: ")
    assert "'8-17'" in message


def test_an_unknown_weekday(tmp_path: Path) -> None:
    path = write(tmp_path, 'business_hours:\n  weekly:\n    lun: ["08:00-17:00"]\n')
    message = config_error(path)
    assert message.startswith(f"{path}: business_hours.weekly: ")
    assert "'lun'" in message


def test_invalid_yaml_gives_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "database:\n  url: sqlite:///x.db\nhttp:\n  host: 127.0.0.1: 80\n")
    message = config_error(path)
    assert message.startswith(f"{path}: line 4 not valid YAML")


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    message = config_error(path)
    assert message.startswith(f"{path}: ")
    assert "not found" in message


def test_the_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "- database\n- http\n")
    message = config_error(path)
    assert message.startswith(f"{path}: ")
    assert "mapping" in message


def test_several_mistakes_report_the_first_and_count_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path, "http:\n  port: abc\n  prot: 1\n")
    assert config_error(path).endswith("(and 1 more)")


# --- derived values --------------------------------------------------------------------------

def test_kb_path_is_relative_to_the_config_file_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "desk", "kb:\n  path: articles\n")
    monkeypatch.chdir(tmp_path)
    assert load_config(path, environ={}).kb_path() == tmp_path / "desk" / "articles"
    assert load_config(Path("desk/config.yaml"), environ={}).kb_path() == (
        tmp_path / "desk" / "articles")


def test_an_absolute_kb_path_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "desk", f"kb:\n  path: {tmp_path / 'elsewhere'}\n")
    assert load_config(path, environ={}).kb_path() == tmp_path / "elsewhere"


def test_the_repo_config_finds_the_sample_kb() -> None:
    assert load_config(REPO_CONFIG, environ={}).kb_path() == REPO / "kb" / "articles"


@pytest.mark.parametrize(("address", "vip"), [
    ("whatsapp:+573001112233", True),
    ("vip@cliente.com", True),
    ("VIP@Cliente.COM", True),
    ("whatsapp:+573009999999", False),
    ("otro@cliente.com", False),
    ("telegram:573001112233", False),
])
def test_vip_addresses_match_the_configured_list(address: str, vip: bool) -> None:
    assert load_config(REPO_CONFIG, environ={}).is_vip_address(address) is vip


def test_find_agent_ignores_case() -> None:
    config = load_config(REPO_CONFIG, environ={})
    agent = config.find_agent("LUIS@example.com")
    assert agent is not None and agent.supervisor
    assert config.find_agent("nadie@example.com") is None


def test_built_in_defaults_match_the_repo_file() -> None:
    defaults, repo = AtiendeConfig(), load_config(REPO_CONFIG, environ={})
    assert defaults.database == repo.database
    assert defaults.http == repo.http
    assert defaults.business_hours == repo.business_hours
    assert defaults.sla == repo.sla


def test_an_smtp_inbound_section_without_a_port_keeps_2525(tmp_path: Path) -> None:
    path = write(tmp_path, "channels:\n  email:\n    smtp_inbound: {host: 0.0.0.0}\n")
    email = load_config(path, environ={}).channels.email
    assert email is not None
    assert (email.smtp_inbound.host, email.smtp_inbound.port) == ("0.0.0.0", 2525)


def test_relative_paths_start_at_the_config_files_folder(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "kb:\n  path: articles\n"), environ={})
    assert config.kb_path() == tmp_path / "articles"
    assert config.resolve_path("certs/smtp.pem") == tmp_path / "certs" / "smtp.pem"
    assert config.resolve_path("/etc/ssl/smtp.pem") == Path("/etc/ssl/smtp.pem")
