"""Benchmark: KB answer quality on the shared kb-eval set, printed as one line."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EVAL = Path(__file__).resolve().parents[2] / "shared" / "kb-eval"


def run_scorer(cmd: str, split: str) -> dict:
    """Run the shared scorer through `cmd kb ask` and return its metrics."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "metrics.json"
        argv = [sys.executable, str(EVAL / "score.py"), "--cmd", cmd, "--split", split,
                "--json", str(out), str(EVAL / "articles.json"), str(EVAL / "questions.jsonl")]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not out.exists():
            sys.exit(f"kb_quality: scorer failed: {(done.stdout + done.stderr).strip()[-500:]}")
        return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=["dev", "test", "all"], default="dev")
    parser.add_argument("--cmd", default=str(REPO / ".venv" / "bin" / "atiende"),
                        help="how to run the atiende command")
    args = parser.parse_args()
    m = run_scorer(args.cmd, args.split)
    lang = m["lang_accuracy"]
    print(f"kb_quality split={args.split} score={m['score']:+.3f} "
          f"false_answer_rate={m['false_answer_rate']:.1%} "
          f"lang_accuracy={'n/a' if lang is None else f'{lang:.1%}'} top1={m['top1']:.1%} "
          f"answered_correct={m['answered_correct']:.1%} n={m['n']}")


if __name__ == "__main__":
    main()
