"""`atiende kb stats`: views and helpful % per article, top unanswered questions, from chats."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bot.app import Runtime
from bot.cli.chat import ChatSession
from bot.cli.main import main
from bot.reports import kb_stats
from tests.conftest import REPO

HOURS_ES = "¿Cuál es el horario de atención?"
HOURS_EN = "What are your support hours?"
PRINTER = "La impresora fiscal imprime los tiquetes en blanco desde ayer"


def customer(runtime: Runtime, name: str) -> ChatSession:
    return ChatSession(runtime, f"console:{name}", name.capitalize())


@pytest.fixture
def traffic(runtime: Runtime) -> Runtime:
    """Hours asked four times (3 yes/no answers), printer problems twice, in two casings."""
    for name, question, answer in (("ana", HOURS_ES, "sí"), ("beto", HOURS_ES, "no"),
                                   ("carla", HOURS_ES, None), ("dan", HOURS_EN, "yes")):
        chat = customer(runtime, name)
        chat.send(question)
        if answer:
            chat.send(answer)
    customer(runtime, "eva").send(PRINTER)
    customer(runtime, "fabio").send(PRINTER.upper())
    return runtime


def test_articles_by_views_with_helpful_share(traffic: Runtime) -> None:
    with traffic.factory() as session:
        rows = kb_stats.article_stats(session, traffic.ctx.articles)
    top = {row.article_id: row for row in rows[:2]}
    assert (top["support-hours-es"].views, top["support-hours-es"].helpful,
            top["support-hours-es"].not_helpful) == (3, 1, 1)
    assert top["support-hours-es"].helpful_rate == 0.5
    assert (top["support-hours-en"].views, top["support-hours-en"].helpful_rate) == (1, 1.0)
    assert [row.article_id for row in rows[:2]] == ["support-hours-es", "support-hours-en"]
    unseen = [row for row in rows if row.views == 0]
    assert len(unseen) == len(traffic.ctx.articles) - 2 and unseen[0].helpful_rate is None


def test_top_unanswered_questions_group_case_insensitively(traffic: Runtime) -> None:
    with traffic.factory() as session:
        questions = kb_stats.top_unanswered(session)
    assert [(q.count, q.lang) for q in questions] == [(2, "es")]
    assert questions[0].question.lower() == PRINTER.lower()


def test_kb_stats_cli_json(traffic: Runtime, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {{url: '{traffic.config.database.url}'}}\n"
                      f"kb: {{path: '{REPO / 'kb' / 'articles'}'}}\n", encoding="utf-8")
    done = CliRunner().invoke(main, ["kb", "stats", "--json", "--limit", "5", "--config",
                                     str(config)])
    assert done.exit_code == 0, done.output
    stats = json.loads(done.output)
    assert stats["articles"][0] == {
        "article_id": "support-hours-es", "lang": "es", "title": "Horario de atención",
        "views": 3, "helpful": 1, "not_helpful": 1, "helpful_rate": 0.5}
    assert [q["count"] for q in stats["unanswered"]] == [2]
    table = CliRunner().invoke(main, ["kb", "stats", "--config", str(config)])
    assert "Articles by views" in table.output and "Top unanswered questions" in table.output
