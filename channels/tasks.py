"""Background tasks that services start and must end cleanly."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def stop_task(task: asyncio.Task[Any]) -> None:
    """Cancel `task` and wait until it has ended (the CancelledError is the expected end)."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
