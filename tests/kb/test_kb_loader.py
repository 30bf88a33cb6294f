"""Loading and checking KB folders: every problem names its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.loader import Article, KbInvalid, KbProblem, check_kb, load_kb

GOOD = """---
id: free-trial-en
lang: en
title: Free trial
questions:
  - Is there a free trial?
  - How long is the trial?
tags: [trial]
---
You get 14 days free.
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def only_problem(folder: Path) -> KbProblem:
    problems = check_kb(folder)
    assert len(problems) == 1, problems
    return problems[0]


def test_good_article_loads_with_every_field(tmp_path: Path) -> None:
    path = write(tmp_path, "trial.md", GOOD)
    [article] = load_kb(tmp_path)
    assert article == Article(
        id="free-trial-en", lang="en", title="Free trial",
        questions=("Is there a free trial?", "How long is the trial?"),
        tags=("trial",), body="You get 14 days free.", source=str(path),
    )
    assert check_kb(tmp_path) == []


def test_sample_kb_loads(sample_kb: Path) -> None:
    assert len(load_kb(sample_kb)) == 7


def test_missing_folder(tmp_path: Path) -> None:
    problem = only_problem(tmp_path / "nope")
    assert "not found" in problem.message


def test_folder_without_articles(tmp_path: Path) -> None:
    write(tmp_path, "README.txt", "not an article")
    assert "no articles" in only_problem(tmp_path).message


def test_bad_yaml_points_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "a.md", GOOD.replace("title: Free trial", "title: [unclosed"))
    problem = only_problem(tmp_path)
    assert problem.path == str(path)
    assert problem.line in (4, 5)
    assert "YAML" in problem.message


def test_missing_front_matter(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "Just an answer\n")
    problem = only_problem(tmp_path)
    assert (problem.line, "front matter" in problem.message) == (1, True)


@pytest.mark.parametrize("field", ["id", "lang", "title", "questions"])
def test_missing_field(tmp_path: Path, field: str) -> None:
    lines = [ln for ln in GOOD.splitlines() if not ln.startswith(f"{field}:")]
    if field == "questions":
        lines = [ln for ln in lines if not ln.startswith("  - ")]
    write(tmp_path, "a.md", "\n".join(lines) + "\n")
    assert f"missing field '{field}'" in only_problem(tmp_path).message


def test_bad_lang_points_at_lang_line(tmp_path: Path) -> None:
    write(tmp_path, "a.md", GOOD.replace("lang: en", "lang: fr"))
    problem = only_problem(tmp_path)
    assert (problem.line, problem.message) == (3, "bad lang: use es or en")


@pytest.mark.parametrize("bad_id", ["Free_Trial", "free trial", "-trial", "trial-", "123 x"])
def test_bad_id_points_at_id_line(tmp_path: Path, bad_id: str) -> None:
    write(tmp_path, "a.md", GOOD.replace("id: free-trial-en", f"id: {bad_id}"))
    problem = only_problem(tmp_path)
    assert problem.line == 2 and "kebab-case" in problem.message


def test_duplicate_id_names_both_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.md", GOOD)
    second = write(tmp_path, "b.md", GOOD)
    problem = only_problem(tmp_path)
    assert problem.path == str(second) and problem.line == 2
    assert str(first) in problem.message and "duplicate id" in problem.message


def test_empty_answer_points_below_front_matter(tmp_path: Path) -> None:
    write(tmp_path, "a.md", GOOD.replace("You get 14 days free.\n", "\n  \n"))
    problem = only_problem(tmp_path)
    assert (problem.line, "empty answer" in problem.message) == (10, True)


@pytest.mark.parametrize("value", ["questions: Is there a trial?", "questions: []",
                                   "questions:\n  - 3\n  - ok"])
def test_questions_must_be_a_list_of_strings(tmp_path: Path, value: str) -> None:
    text = GOOD.replace("questions:\n  - Is there a free trial?\n  - How long is the trial?",
                        value)
    write(tmp_path, "a.md", text)
    problem = only_problem(tmp_path)
    assert problem.line == 5 and "questions must be" in problem.message


def test_load_kb_raises_with_every_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.md", GOOD.replace("lang: en", "lang: xx"))
    write(tmp_path, "b.md", GOOD.replace("id: free-trial-en", "id: Bad_Id"))
    with pytest.raises(KbInvalid) as caught:
        load_kb(tmp_path)
    assert [p.line for p in caught.value.problems] == [3, 2]


def test_problem_prints_as_path_line_message() -> None:
    assert str(KbProblem("kb/a.md", 3, "bad lang: use es or en")) == \
        "kb/a.md:3: bad lang: use es or en"
