"""Event-loop lag (SPEC §9.3, §9.4): a per-process sampler sleeps a fixed interval and records how late
it wakes up; the gauge ``sigmatrade_event_loop_lag_seconds`` shows the mean over the recent window."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque

from sigmatrade import metrics

INTERVAL = 0.5
WINDOW = 120  # samples kept (one minute at the default interval)


class LagSampler:
    def __init__(self, interval: float = INTERVAL, window: int = WINDOW) -> None:
        self.interval = interval
        self.samples: deque[float] = deque(maxlen=window)
        self._task: asyncio.Task[None] | None = None

    def record(self, lag: float) -> None:
        self.samples.append(max(0.0, lag))
        metrics.loop_lag.set(self.mean())

    def mean(self) -> float:
        return sum(self.samples) / len(self.samples) if self.samples else 0.0

    async def _loop(self) -> None:
        while True:
            began = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.record(time.perf_counter() - began - self.interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="loop-lag")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


async def measure_once() -> float:
    """One sample: how late a callback scheduled now runs."""
    began = time.perf_counter()
    await asyncio.sleep(0)
    return time.perf_counter() - began
