"""performance_report (SPEC §9.4.2): hourly numbers of this process — updates, errors, update latency
p50/p95, RPC per endpoint (requests, errors, mean latency), job runs/failures, queue depths, CPU, RSS,
system memory, disk, event-loop lag, DB pool. Always logged and kept for the System health screen;
sent to super admins only when ``monitoring.report_to_admins`` is on."""

from __future__ import annotations

import asyncio
import functools
import time

from sigmatrade.domain.enums import AdminRole
from sigmatrade.jobs.scheduler import JobContext
from sigmatrade.logging import get_logger
from sigmatrade.ops import disk
from sigmatrade.services import perf_report
from sigmatrade.services.notifications import Content, notifier

NAME = "performance_report"
CATEGORY = "performance_report"
log = get_logger("sigmatrade.jobs.performance_report")


def _pool_status(ctx: JobContext) -> str:
    pool = ctx.rt.db.engine.pool
    checked_out = getattr(pool, "checkedout", None)
    size = getattr(pool, "size", None)
    if callable(checked_out) and callable(size):
        return f"{checked_out()}/{size()}"
    return type(pool).__name__


async def run(ctx: JobContext) -> None:
    rt = ctx.rt
    now_samples = await perf_report.snapshot()
    state = rt.perf
    before = state.snapshot or {}
    since = state.snapshot_at if state.snapshot_at is not None else rt.started_at
    window = perf_report.delta(now_samples, before)
    now = time.monotonic()
    disk_percent = await asyncio.to_thread(disk.read_usage, rt.ops.disk_usage, rt.config.data_dir)
    # The process and memory readings (psutil, /proc) off the loop, like the disk reading.
    report = await asyncio.to_thread(
        functools.partial(
            perf_report.build,
            window,
            int(now - since),
            data_dir=rt.config.data_dir,
            db_pool=_pool_status(ctx),
            disk_percent=disk_percent,
            disk_tier=rt.ops.disk_tier.label,
        )
    )
    state.snapshot, state.snapshot_at, state.last_report = now_samples, now, report
    log.info("performance_report", **report.as_log())
    ctx.details.update(updates=report.updates, errors=report.errors, endpoints=len(report.endpoints))
    if rt.bot is not None and await rt.store.get("monitoring.report_to_admins"):
        sent = await notifier(rt).to_admins(
            lambda t: Content(perf_report.render(t, report)),
            category=CATEGORY,
            min_role=AdminRole.SUPER_ADMIN,
        )
        ctx.details["sent_to"] = sent
