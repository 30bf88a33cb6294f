"""A KB that learns from the desk: an agent answers with #kb ID, the lead approves the phrasing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.app import Runtime
from bot.cli.main import main
from bot.config.root import AtiendeConfig, load_config
from bot.store.models import KbProposal
from kb.knowledge import open_index
from kb.matcher import best_match
from tests.conftest import REPO
from tests.email.mailkit import AGENT, MailDesk, events, mail, reply, rows, run, ticket

CLIENTE = "ines@cliente.co"
PREGUNTA = ("Para la auditoría anual el contador nos pide el listado completo de casos que "
            "abrimos con ustedes este año, ¿cómo lo conseguimos?")
CORREO = f"Buenas tardes,\n\n{PREGUNTA}\n\nGracias,\nInés\nContabilidad"


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """The sample KB in a folder the test may change."""
    return Path(shutil.copytree(REPO / "kb" / "articles", tmp_path / "kb",
                                ignore=shutil.ignore_patterns(".atiende-vectors.npz")))


@pytest.fixture
def config(db_url: str, kb_copy: Path) -> AtiendeConfig:
    base = load_config(REPO / "config.yaml", environ={})
    return base.model_copy(update={
        "database": base.database.model_copy(update={"url": db_url}),
        "kb": base.kb.model_copy(update={"path": str(kb_copy)})})


def config_file(runtime: Runtime, kb_copy: Path, tmp_path: Path) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"database: {{url: '{runtime.config.database.url}'}}\n"
                    f"kb: {{path: '{kb_copy}'}}\n", encoding="utf-8")
    return str(path)


def agent_answers_with_kb(desk: MailDesk, article_id: str) -> None:
    async def scenario() -> None:
        async with desk.running():
            aviso = await desk.open_ticket(mail(CLIENTE, "Listado de casos", CORREO))
            respuesta = reply(aviso, AGENT, f"Hola Inés, te lo enviamos hoy.\n#kb {article_id}")
            assert "agent_relayed" in await desk.send(respuesta)
            await desk.deliver()
        assert desk.inbox(CLIENTE)[-1].message.get_content().strip() == \
            "Hola Inés, te lo enviamos hoy."

    run(scenario())


def cli(config_path: str, *args: str) -> str:
    done = CliRunner().invoke(main, ["kb", "learned", *args, "--config", config_path])
    assert done.exit_code == 0, done.output
    return done.output


def test_kb_reply_proposes_the_question_and_approval_writes_and_reloads_the_kb(
        desk: MailDesk, email_runtime: Runtime, kb_copy: Path, tmp_path: Path) -> None:
    assert not best_match(open_index(kb_copy), PREGUNTA).answered
    agent_answers_with_kb(desk, "data-export-es")
    assert ticket(email_runtime, 1).status == "in_progress"
    [proposal] = rows(email_runtime, KbProposal)
    assert (proposal.article_id, proposal.question, proposal.status) == (
        "data-export-es", PREGUNTA, "pending")
    config_path = config_file(email_runtime, kb_copy, tmp_path)
    listed = json.loads(cli(config_path, "list", "--json"))
    assert [(p["id"], p["question"]) for p in listed] == [(proposal.id, PREGUNTA)]
    bare = CliRunner().invoke(main, ["kb", "learned", "--config", config_path])
    assert bare.exit_code == 0 and "data-export-es" in bare.output and PREGUNTA in bare.output
    assert "approved" in cli(config_path, "approve", str(proposal.id))
    assert json.dumps(PREGUNTA, ensure_ascii=False) in (kb_copy / "data-export-es.md").read_text(
        encoding="utf-8")
    reloaded = open_index(kb_copy)
    match = best_match(reloaded, PREGUNTA)
    assert match.answered and match.article_id == "data-export-es"
    assert json.loads(cli(config_path, "list", "--json")) == []
    assert [p["id"] for p in json.loads(cli(config_path, "list", "--status", "approved",
                                            "--json"))] == [proposal.id]


def test_rejected_proposal_leaves_the_article_alone(
        desk: MailDesk, email_runtime: Runtime, kb_copy: Path, tmp_path: Path) -> None:
    before = (kb_copy / "data-export-es.md").read_bytes()
    agent_answers_with_kb(desk, "data-export-es")
    config_path = config_file(email_runtime, kb_copy, tmp_path)
    [proposal] = rows(email_runtime, KbProposal)
    assert "rejected" in cli(config_path, "reject", str(proposal.id))
    assert (kb_copy / "data-export-es.md").read_bytes() == before
    again = CliRunner().invoke(main, ["kb", "learned", "approve", str(proposal.id),
                                      "--config", config_path])
    assert again.exit_code == 2 and "already rejected" in again.output


def test_kb_with_an_unknown_article_is_a_failed_command(desk: MailDesk,
                                                        email_runtime: Runtime) -> None:
    agent_answers_with_kb(desk, "no-such-article")
    assert rows(email_runtime, KbProposal) == []
    assert any("no-such-article" in (e.detail or "")
               for e in events(email_runtime, "command_failed"))
