"""The one source of "now" for the whole application.

Every timestamp comes from :func:`now`, so tests (and the demo) can move time forward
without sleeping ("time travel").
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    """Current time, timezone-aware UTC, shifted by the test offset."""
    return datetime.now(UTC) + _offset


def travel(delta: timedelta) -> None:
    """Move the application clock forward (or back) by ``delta``."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)


def offset() -> timedelta:
    return _offset


async def sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds`` of real time, or less when ``stop`` is set meanwhile (loops that must end at
    once when told to stop)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
