"""scheduler/ and kb/ are pure: importing any of their modules loads nothing of bot/, channels/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = sorted(f"{path.parent.name}.{path.stem}" for package in ("scheduler", "kb")
                 for path in (REPO / package).glob("*.py") if path.stem != "__init__")
PROBE = ("import importlib, sys\n"
         "importlib.import_module(sys.argv[1])\n"
         "print(' '.join(sorted(name for name in sys.modules\n"
         "                      if name.split('.')[0] in ('bot', 'channels'))))\n")


@pytest.mark.parametrize("module", MODULES)
def test_module_loads_nothing_from_bot_or_channels(module: str) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, module], capture_output=True, text=True,
                          cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_the_probe_sees_a_module_that_loads_bot() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, "bot.desk.sweeps"], capture_output=True,
                          text=True, cwd=REPO, check=False)
    assert "bot.store.models" in done.stdout.split()
