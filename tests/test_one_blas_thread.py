"""numpy's BLAS runs on one thread in every runtime: a message's matrix products are tiny, and
on two threads one waited for a core another thread or process held (issue 18)."""

from __future__ import annotations

from pathlib import Path

from threadpoolctl import threadpool_info, threadpool_limits

from bot import app
from bot.config.root import load_config

REPO = Path(__file__).resolve().parents[1]


def blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_building_a_runtime_leaves_blas_on_one_thread(tmp_path: Path) -> None:
    base = load_config(REPO / "config.yaml", environ={})
    config = base.model_copy(update={"database": base.database.model_copy(
        update={"url": f"sqlite:///{tmp_path / 'blas.db'}"})})
    with threadpool_limits(limits=2, user_api="blas"):   # as numpy starts on a 2-core box
        assert blas_threads() == {2}
        runtime = app.build_runtime(config)
        try:
            assert blas_threads() == {1}
        finally:
            runtime.engine.dispose()


def test_one_blas_thread_sets_every_blas_library() -> None:
    with threadpool_limits(limits=2, user_api="blas"):
        app.one_blas_thread()
        assert blas_threads() == {1}
