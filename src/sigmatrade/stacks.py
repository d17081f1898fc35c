"""Where a coroutine is: the await chain of a task, innermost last (watchdog and unit guard logs)."""

from __future__ import annotations

import asyncio
from typing import Any


def awaiting_stack(task: asyncio.Task[Any] | None, *, limit: int = 20) -> str:
    """``file:line in function`` for each coroutine in the task's await chain (outermost first)."""
    if task is None:
        return ""
    lines: list[str] = []
    coro: Any = task.get_coro()
    while coro is not None and len(lines) < limit:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        lines.append(f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return "\n".join(lines)


def current_stack() -> str:
    try:
        return awaiting_stack(asyncio.current_task())
    except RuntimeError:
        return ""
