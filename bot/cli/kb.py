"""`atiende kb check|ask`: validate a KB folder and ask it questions (JSON contract)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from bot.cli.base import config_option, fail, read_config, user_errors
from kb.knowledge import open_index
from kb.language import detect_language
from kb.loader import check_kb, load_kb
from kb.matcher import KbIndex, Match, best_match


@click.group()
def kb() -> None:
    """Knowledge base: check articles, ask questions."""


@kb.command("check")
@click.argument("directory", required=False)
@config_option
@user_errors
def kb_check(directory: str | None, config_path: str | None) -> None:
    """Report every problem in the KB folder (default: kb.path from config)."""
    path = directory or str(read_config(config_path).kb_path())
    problems = check_kb(path)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        fail(f"{len(problems)} problem(s) in {path}")
    count = len(load_kb(path))
    click.echo(f"{path}: {count} articles, no problems")


def match_to_json(match: Match) -> dict[str, Any]:
    return {
        "answered": match.answered,
        "article_id": match.article_id if match.answered else None,
        "score": round(match.score, 4),
        "lang": match.lang,
        "candidates": [{"article_id": c.article_id, "score": round(c.score, 4)}
                       for c in match.candidates],
    }


def ask_one(index: KbIndex, text: str, lang: str | None) -> dict[str, Any]:
    if lang is None:
        lang = detect_language(text, words=index.words)
    return match_to_json(best_match(index, text, lang))


@kb.command("ask")
@click.argument("text", required=False)
@click.option("--kb", "kb_dir", default=None, metavar="DIR", help="KB folder (overrides kb.path)")
@click.option("--lang", type=click.Choice(["es", "en"]), default=None,
              help="the message language (detected when absent)")
@click.option("--json", "as_json", is_flag=True, help="print the JSON result")
@click.option("--jsonl", "jsonl", default=None, metavar="-",
              help="read JSON lines {\"q\": ...} from stdin ('-'), one result line each")
@config_option
@user_errors
def kb_ask(text: str | None, kb_dir: str | None, lang: str | None, as_json: bool,
           jsonl: str | None, config_path: str | None) -> None:
    """Ask the KB TEXT and print the decision (JSON with --json)."""
    config = read_config(config_path)   # also with --kb: kb.encoder chooses the encoder
    index = open_index(kb_dir or config.kb_path())
    if jsonl is not None:
        ask_batch(index, lang)
        return
    if text is None:
        fail("give the question as TEXT, or --jsonl - to read JSON lines from stdin")
    result = ask_one(index, text, lang)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo(describe(result))


def ask_batch(index: KbIndex, lang: str | None) -> None:
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            fail(f"stdin line {number}: not valid JSON")
        question = item.get("q", "") if isinstance(item, dict) else str(item)
        line_lang = item.get("lang", lang) if isinstance(item, dict) else lang
        sys.stdout.write(json.dumps(ask_one(index, question, line_lang), ensure_ascii=False) + "\n")
    sys.stdout.flush()


def describe(result: dict[str, Any]) -> str:
    head = (f"answer: {result['article_id']} (score {result['score']:.2f}, {result['lang']})"
            if result["answered"] else f"no answer (best score {result['score']:.2f})")
    rows = [f"  {c['article_id']}  {c['score']:.2f}" for c in result["candidates"]]
    return "\n".join([head, *rows])


@kb.command("stats")
@click.option("--since", default=None, metavar="AGE", help="only the last 30d, 12w… (default: all)")
@click.option("--limit", default=10, show_default=True, help="how many unanswered questions")
@click.option("--kb", "kb_dir", default=None, metavar="DIR", help="KB folder (overrides kb.path)")
@click.option("--json", "as_json", is_flag=True, help="one JSON object on stdout")
@config_option
@user_errors
def kb_stats(since: str | None, limit: int, kb_dir: str | None, as_json: bool,
             config_path: str | None) -> None:
    """Articles by views with helpful %, and the top questions no article answered."""
    from bot.cli.report import open_factory
    from bot.reports import kb_stats as stats
    from bot.reports.period import parse_since
    from scheduler.clock import SystemClock

    config = read_config(config_path)
    articles = {a.id: a for a in load_kb(kb_dir or config.kb_path())}
    start = SystemClock().now() - parse_since(since) if since else None
    with open_factory(config)() as session:
        rows = stats.article_stats(session, articles, start)
        questions = stats.top_unanswered(session, start, limit)
    if as_json:
        click.echo(json.dumps({"articles": [row.to_json() for row in rows],
                               "unanswered": [q.to_json() for q in questions]},
                              ensure_ascii=False))
        return
    show_stats(rows, questions)


def show_stats(rows: list[Any], questions: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    articles = Table(title="Articles by views", title_justify="left")
    for header in ("Article", "Lang", "Title", "Views", "Yes", "No", "Helpful"):
        articles.add_column(header)
    for row in rows:
        rate = "—" if row.helpful_rate is None else f"{row.helpful_rate * 100:.0f} %"
        articles.add_row(row.article_id, row.lang or "—", row.title or "(not in the KB)",
                         str(row.views), str(row.helpful), str(row.not_helpful), rate)
    unanswered = Table(title="Top unanswered questions", title_justify="left")
    for header in ("Times", "Lang", "Question", "Last asked"):
        unanswered.add_column(header)
    for question in questions:
        unanswered.add_row(str(question.count), question.lang, question.question,
                           question.last_at.strftime("%Y-%m-%d"))
    Console().print(articles, unanswered)
