"""The `atiende` command as a real subprocess: kb ask/check, chat --jsonl, db upgrade, errors."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, inspect

from tests.servers.serve_env import serve_env

REPO = Path(__file__).resolve().parents[1]
ATIENDE = REPO / ".venv" / "bin" / "atiende"
REPO_KB = REPO / "kb" / "articles"
HOURS_ES = "¿Cuál es el horario de atención?"
NOW = "2026-11-24T10:00:00-05:00"
PROBLEM_LINE = re.compile(r"^\S+\.md:\d+: ")


def atiende(cwd: Path, *args: str, stdin: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ATIENDE), *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, env=serve_env(env or {}), timeout=120)


def write_config(folder: Path, db_url: str | None = None, **sections: Any) -> Path:
    """The repository's config.yaml with an absolute KB path and, maybe, another database."""
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["kb"]["path"] = str(REPO_KB)
    data["database"]["url"] = db_url or f"sqlite:///{folder / 'atiende.db'}"
    data.update(sections)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def article(folder: Path, name: str, front: str, body: str = "Respuesta.") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(f"---\n{front}---\n{body}\n", encoding="utf-8")


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    """A folder with a config.yaml that uses the sample KB and a SQLite file."""
    write_config(tmp_path)
    return tmp_path


@pytest.fixture
def tiny_kb(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    article(folder, "tienda-es", "id: horario-tienda-es\nlang: es\ntitle: Horario de la tienda\n"
            "questions:\n  - ¿A qué hora abre la tienda?\n  - ¿Cuál es el horario de la tienda?\n",
            "La tienda abre de 9:00 a 18:00.")
    article(folder, "tienda-en", "id: store-hours-en\nlang: en\ntitle: Store hours\n"
            "questions:\n  - When does the store open?\n  - What are the store hours?\n",
            "The store opens from 9:00 to 18:00.")
    return folder


def json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def assert_one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- kb ask ------------------------------------------------------------------------------------

def test_kb_ask_json_follows_the_contract(desk: Path) -> None:
    result = atiende(desk, "kb", "ask", HOURS_ES, "--json")
    assert result.returncode == 0, result.stderr
    [answer] = json_lines(result.stdout)
    assert list(answer) == ["answered", "article_id", "score", "lang", "candidates"]
    assert answer["answered"] is True
    assert answer["article_id"] == "support-hours-es"
    assert isinstance(answer["score"], float)
    assert answer["lang"] == "es"
    assert answer["candidates"][0] == {"article_id": "support-hours-es",
                                       "score": answer["score"]}
    for candidate in answer["candidates"]:
        assert list(candidate) == ["article_id", "score"]
        assert isinstance(candidate["article_id"], str)
        assert isinstance(candidate["score"], float)
    scores = [c["score"] for c in answer["candidates"]]
    assert scores == sorted(scores, reverse=True)


def test_kb_ask_unanswered_has_a_null_article(desk: Path) -> None:
    result = atiende(desk, "kb", "ask", "xyzzy plugh", "--lang", "en", "--json")
    assert result.returncode == 0, result.stderr
    [answer] = json_lines(result.stdout)
    assert answer["answered"] is False
    assert answer["article_id"] is None
    assert answer["lang"] == "en"


def test_kb_ask_with_kb_overrides_the_config(desk: Path, tiny_kb: Path) -> None:
    result = atiende(desk, "kb", "ask", "¿A qué hora abre la tienda?", "--kb", str(tiny_kb),
                     "--json")
    assert result.returncode == 0, result.stderr
    [answer] = json_lines(result.stdout)
    assert (answer["answered"], answer["article_id"]) == (True, "horario-tienda-es")
    assert {c["article_id"] for c in answer["candidates"]} <= {"horario-tienda-es",
                                                              "store-hours-en"}


def test_kb_ask_jsonl_answers_each_line_in_order(desk: Path) -> None:
    stdin = "\n".join(json.dumps(line, ensure_ascii=False) for line in [
        {"q": HOURS_ES},
        {"q": "What are your support hours?"},
        {"q": "What are your support hours?", "lang": "es"},
    ]) + "\n"
    result = atiende(desk, "kb", "ask", "--jsonl", "-", stdin=stdin)
    assert result.returncode == 0, result.stderr
    answers = json_lines(result.stdout)
    assert [a["lang"] for a in answers] == ["es", "en", "es"]
    assert [a["candidates"][0]["article_id"] for a in answers[:2]] == [
        "support-hours-es", "support-hours-en"]
    single = atiende(desk, "kb", "ask", "What are your support hours?", "--lang", "es", "--json")
    assert answers[2] == json.loads(single.stdout)


def test_kb_ask_jsonl_with_a_bad_line_exits_2(desk: Path) -> None:
    result = atiende(desk, "kb", "ask", "--jsonl", "-", stdin='{"q": "hola"}\nnot json\n')
    assert assert_one_error_line(result) == "atiende: stdin line 2: not valid JSON"


# --- kb check ----------------------------------------------------------------------------------

def test_kb_check_a_good_folder(desk: Path, tiny_kb: Path) -> None:
    result = atiende(desk, "kb", "check", str(tiny_kb))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{tiny_kb}: 2 articles, no problems"
    assert result.stderr == ""


def test_kb_check_the_configured_folder(desk: Path) -> None:
    result = atiende(desk, "kb", "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{REPO_KB}: ")


def test_kb_check_a_bad_folder_lists_every_problem(desk: Path, tiny_kb: Path) -> None:
    article(tiny_kb, "copia", "id: horario-tienda-es\nlang: es\ntitle: Copia\n"
            "questions: [¿Horario?]\n")
    article(tiny_kb, "frances", "id: horaires-fr\nlang: fr\ntitle: Horaires\n"
            "questions: [Quand ouvrez-vous ?]\n")
    result = atiende(desk, "kb", "check", str(tiny_kb))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    *problems, summary = result.stderr.splitlines()
    assert all(PROBLEM_LINE.match(line) for line in problems), problems
    assert f"{tiny_kb / 'frances.md'}:3: bad lang: use es or en" in problems
    assert any(line.startswith(f"{tiny_kb / 'tienda-es.md'}:2: duplicate id")
               or line.startswith(f"{tiny_kb / 'copia.md'}:2: duplicate id")
               for line in problems)
    assert summary == f"atiende: {len(problems)} problem(s) in {tiny_kb}"


# --- config errors -----------------------------------------------------------------------------

def test_a_bad_config_is_one_line_naming_file_and_key(tmp_path: Path) -> None:
    write_config(tmp_path, http={"host": "127.0.0.1", "port": "abc"})
    result = atiende(tmp_path, "kb", "ask", HOURS_ES, "--json")
    line = assert_one_error_line(result)
    assert line.startswith("atiende: config.yaml: http.port: ")
    assert result.stdout == ""


def test_a_typo_in_the_config_given_with_config(tmp_path: Path) -> None:
    (tmp_path / "desk.yaml").write_text("database:\n  ulr: sqlite:///x.db\n", encoding="utf-8")
    result = atiende(tmp_path, "db", "upgrade", "--config", "desk.yaml")
    line = assert_one_error_line(result)
    assert line == "atiende: desk.yaml: database.ulr: unknown key (check its spelling and section)"


def test_a_bad_environment_override_is_one_line(desk: Path) -> None:
    result = atiende(desk, "kb", "ask", HOURS_ES, "--json",
                     env={"ATIENDE__CHANNELS__EMAIL__SMTP_INBOUND__PORT": "abc"})
    line = assert_one_error_line(result)
    assert line.startswith("atiende: environment variable "
                           "ATIENDE__CHANNELS__EMAIL__SMTP_INBOUND__PORT: "
                           "channels.email.smtp_inbound.port: ")
    assert "config.yaml" not in line


def test_a_missing_config_given_with_config(tmp_path: Path) -> None:
    line = assert_one_error_line(atiende(tmp_path, "db", "upgrade", "--config", "nope.yaml"))
    assert line.startswith("atiende: nope.yaml: ")


# --- chat --jsonl ------------------------------------------------------------------------------

def test_chat_jsonl_prints_one_result_per_line(desk: Path, db_url: str) -> None:
    stdin = json.dumps(HOURS_ES, ensure_ascii=False) + "\nquiero hablar con un agente\n"
    result = atiende(desk, "chat", "--as", "console:ana", "--jsonl", "--now", NOW, stdin=stdin,
                     env={"ATIENDE__DATABASE__URL": db_url})
    assert result.returncode == 0, result.stderr
    turns = json_lines(result.stdout)
    assert len(turns) == 2
    for turn in turns:
        assert list(turn) == ["replies", "ticket", "ticket_status", "lang"]
        assert turn["lang"] == "es"
        assert turn["replies"], "every message gets a reply"
        for reply in turn["replies"]:
            assert list(reply) == ["text", "buttons"]
            assert isinstance(reply["text"], str) and reply["text"]
            assert all(isinstance(button, str) for button in reply["buttons"])
    assert "8:00" in turns[0]["replies"][0]["text"]
    assert (turns[0]["ticket"], turns[0]["ticket_status"]) == (None, None)


def test_chat_jsonl_opens_a_ticket(desk: Path, db_url: str) -> None:
    stdin = "quiero hablar con un agente\nla factura de noviembre salió con el valor equivocado\n"
    result = atiende(desk, "chat", "--as", "console:ana", "--jsonl", "--now", NOW, stdin=stdin,
                     env={"ATIENDE__DATABASE__URL": db_url})
    assert result.returncode == 0, result.stderr
    last = json_lines(result.stdout)[-1]
    assert isinstance(last["ticket"], int)
    assert last["ticket_status"] == "open"
    assert f"#{last['ticket']}" in last["replies"][0]["text"]


def test_chat_now_without_an_offset_exits_2(desk: Path) -> None:
    result = atiende(desk, "chat", "--as", "console:ana", "--jsonl", "--now",
                     "2026-11-24T10:00:00", stdin="hola\n")
    line = assert_one_error_line(result)
    assert "--now" in line and "offset" in line
    assert result.stdout == ""


# --- db upgrade --------------------------------------------------------------------------------

def test_db_upgrade_creates_the_schema(tmp_path: Path, db_url: str) -> None:
    write_config(tmp_path, db_url)
    result = atiende(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("database at revision ")
    engine = create_engine(db_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"contacts", "contact_identities", "conversations", "messages", "tickets",
            "ticket_events", "outbox", "quarantine", "kb_feedback"} <= tables


def test_db_upgrade_twice_is_harmless(tmp_path: Path, db_url: str) -> None:
    write_config(tmp_path, db_url)
    first = atiende(tmp_path, "db", "upgrade")
    second = atiende(tmp_path, "db", "upgrade")
    assert (first.returncode, second.returncode) == (0, 0)
    assert first.stdout == second.stdout
