"""Regression floor on the public kb-eval dev split (first 40 %), run in-process."""

from __future__ import annotations

import json
from pathlib import Path

from kb_samples import article_text

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


def test_dev_split_quality(shared_eval: Path, tmp_path: Path) -> None:
    index = build_index(load_kb(write_eval_kb(shared_eval / "articles.json", tmp_path / "kb")))
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
    assert (right - 2 * wrong) / len(dev) >= 0.40
    assert wrong / len(dev) <= 0.04
    assert lang_ok / len(dev) >= 0.97
