"""Regression floor on the public kb-eval dev split (first 40 %), run in-process."""

from __future__ import annotations

import json
from pathlib import Path

from kb_samples import article_text

from kb.knowledge import open_index
from kb.loader import load_kb
from kb.matcher import best_match, build_index


def write_eval_kb(articles_json: Path, folder: Path) -> Path:
    folder.mkdir()
    for art in json.loads(articles_json.read_text(encoding="utf-8")):
        questions = [q.replace('"', "'") for q in art["questions"]]
        text = article_text(art["id"], art["lang"], json.dumps(art["title"], ensure_ascii=False),
                            questions, art.get("tags", []), art["answer"])
        (folder / f"{art['id']}.md").write_text(text, encoding="utf-8")
    return folder


def dev_figures(index, shared_eval: Path) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """(score, false-answer rate, language accuracy) on the dev split (first 40 %)."""
    lines = (shared_eval / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]
    dev = questions[: round(0.4 * len(questions))]
    right = wrong = lang_ok = 0
    for q in dev:
        match = best_match(index, q["q"])
        lang_ok += match.lang == q["lang"]
        if match.answered:
            right += match.article_id == q["expect"]
            wrong += match.article_id != q["expect"]
    return (right - 2 * wrong) / len(dev), wrong / len(dev), lang_ok / len(dev)


def test_dev_split_quality(shared_eval: Path, tmp_path: Path) -> None:
    index = build_index(load_kb(write_eval_kb(shared_eval / "articles.json", tmp_path / "kb")))
    score, false_rate, lang = dev_figures(index, shared_eval)
    assert score >= 0.40
    assert false_rate <= 0.04
    assert lang >= 0.97


def test_dev_split_quality_with_meaning(shared_eval: Path, tmp_path: Path) -> None:
    index = open_index(write_eval_kb(shared_eval / "articles.json", tmp_path / "kb"))
    assert index.meaning is not None
    score, false_rate, lang = dev_figures(index, shared_eval)
    assert score >= 0.50
    assert false_rate <= 0.03
    assert lang >= 0.97
