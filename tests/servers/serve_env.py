"""The environment for an `atiende` process a test or bench starts."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def serve_env(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without ATIENDE__ overrides, plus `extra`, with this
    checkout's code first: the virtualenv's editable install points at whichever checkout
    installed it, so a run from another worktree (a before/after bench) would serve that one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATIENDE__")}
    return env | extra | {"PYTHONPATH": str(REPO)}
