"""Waking a payout job after an admin decision (approval → payment processor, DLQ retry → payment
retry). In the background: the admin's answer never waits for RPC; the job's lease still applies and
its scheduled run would pick the payout up anyway."""

from __future__ import annotations

import asyncio

from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime

log = get_logger("sigmatrade.admin.wake")

PROCESSOR = "payment_processor"
RETRY = "payment_retry"

_running: set[asyncio.Task[None]] = set()


def wake(rt: Runtime, job: str) -> None:
    jobs = rt.jobs
    if jobs is None:
        return

    async def run() -> None:
        try:
            await jobs.run_now(job)
        except Exception as exc:
            log.warning("job_wake_failed", job=job, error=str(exc)[:200])

    task = asyncio.create_task(run())
    _running.add(task)
    task.add_done_callback(_running.discard)
