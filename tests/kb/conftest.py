"""Fixtures for the knowledge-base tests: sample KBs and the optional shared eval set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from kb_samples import write_sample_kb

SHARED_EVAL = Path(__file__).resolve().parents[3] / "shared" / "kb-eval"


@pytest.fixture
def sample_kb(tmp_path: Path) -> Path:
    """A small two-language knowledge base written into a temporary folder."""
    return write_sample_kb(tmp_path / "kb")


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory):
    """The search index over the sample knowledge base, built once per test session."""
    from kb.loader import load_kb
    from kb.matcher import build_index

    return build_index(load_kb(write_sample_kb(tmp_path_factory.mktemp("kb"))))


@pytest.fixture(scope="session")
def shared_eval() -> Path:
    """The public kb-eval folder beside the repository; skipped when absent outside CI."""
    if not (SHARED_EVAL / "questions.jsonl").exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"shared kb-eval set missing at {SHARED_EVAL}")
        pytest.skip("shared kb-eval set not present")
    return SHARED_EVAL
