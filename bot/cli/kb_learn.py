"""`atiende kb gaps` and `atiende kb learned`: what the desk teaches the knowledge base."""

from __future__ import annotations

import json
from typing import Any

import click

from bot.cli.base import config_option, fail, read_config, user_errors
from bot.cli.review import learned_group, open_session


@click.command("gaps")
@click.option("--since", default=None, metavar="AGE", help="only the last 30d, 12w… (default: all)")
@click.option("--limit", default=10, show_default=True, help="how many groups")
@click.option("--json", "as_json", is_flag=True, help="one JSON array on stdout")
@config_option
@user_errors
def gaps(since: str | None, limit: int, as_json: bool, config_path: str | None) -> None:
    """Questions that ended in tickets, grouped by meaning, biggest first: articles to write."""
    from bot.reports.kb_stats import unanswered_texts
    from bot.reports.period import parse_since
    from kb.encoder import load_encoder
    from kb.gaps import find_gaps
    from scheduler.clock import SystemClock

    config = read_config(config_path)
    start = SystemClock().now() - parse_since(since) if since else None
    with open_session(config) as session:
        questions = unanswered_texts(session, start)
    found = find_gaps(questions, load_encoder(), limit)
    if as_json:
        click.echo(json.dumps([gap.to_json() for gap in found], ensure_ascii=False))
        return
    if not found:
        click.echo("no unanswered questions")
    for gap in found:
        click.echo(f"{gap.size:4}  {gap.lang}  " + "  |  ".join(gap.samples))


def proposal_rows(session: Any, status: str) -> list[dict[str, Any]]:
    from bot.desk.kb_learning import pending

    return [_to_json(p) for p in pending(session, status)]


def proposal_line(row: dict[str, Any]) -> str:
    return f"{row['id']:5}  {row['article_id']}  \"{row['question']}\"  (by {row['proposed_by']})"


def _to_json(proposal: Any) -> dict[str, Any]:
    return {"id": proposal.id, "article_id": proposal.article_id, "question": proposal.question,
            "status": proposal.status, "proposed_by": proposal.proposed_by,
            "ticket_id": proposal.ticket_id, "at": proposal.at.isoformat()}


learned = learned_group(
    "Phrasings agents proposed with #kb ARTICLE-ID: list, approve or reject them.",
    "no {status} proposals", proposal_rows, proposal_line)


def _decide(proposal_id: int, approve: bool, kb_dir: str | None, config_path: str | None) -> None:
    from bot.desk.kb_learning import ProposalError, decide
    from scheduler.clock import SystemClock

    config = read_config(config_path)
    folder = str(kb_dir or config.kb_path())
    with open_session(config) as session:
        try:
            proposal = decide(session, folder, proposal_id, approve, SystemClock().now())
        except ProposalError as exc:
            fail(str(exc))
        session.commit()
        click.echo(f"proposal {proposal.id} {proposal.status}: {proposal.article_id} "
                   f"\"{proposal.question}\"")


@learned.command("approve")
@click.argument("proposal_id", type=int)
@click.option("--kb", "kb_dir", default=None, metavar="DIR", help="KB folder (overrides kb.path)")
@config_option
@user_errors
def learned_approve(proposal_id: int, kb_dir: str | None, config_path: str | None) -> None:
    """Write the phrasing into the article file's questions (the KB is reloaded to check it)."""
    _decide(proposal_id, True, kb_dir, config_path)


@learned.command("reject")
@click.argument("proposal_id", type=int)
@config_option
@user_errors
def learned_reject(proposal_id: int, config_path: str | None) -> None:
    """Drop the proposal; the article is not changed."""
    _decide(proposal_id, False, None, config_path)
