"""cleanup (SPEC §7): daily at 03:00 UTC — retention purges, temp files older than a day, and idle
answered tickets closed with the user told (SPEC §3.10.6)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sigmatrade import clock
from sigmatrade.jobs.scheduler import JobContext
from sigmatrade.logging import get_logger
from sigmatrade.ops import backup as backup_files
from sigmatrade.ops import disk
from sigmatrade.services import cleanup

NAME = "cleanup"
TEMP_MAX_AGE = timedelta(days=1)
log = get_logger("sigmatrade.jobs.cleanup")


def _temp_files(data_dir: str, backup_dir: str) -> int:
    now = clock.now()
    removed = disk.clean_temp(disk.temp_dir(data_dir), TEMP_MAX_AGE, now)
    removed += backup_files.remove_stale_partials(Path(backup_dir), TEMP_MAX_AGE, now)
    return len(removed)


async def run(ctx: JobContext) -> None:
    rt = ctx.rt
    counts = await cleanup.purge(rt)
    counts["temp_files"] = await asyncio.to_thread(_temp_files, rt.config.data_dir, rt.config.backup_dir)
    closed = await cleanup.auto_close_idle_tickets(rt)
    ctx.details.update(counts, tickets_closed=closed)
    log.info("cleanup_done", tickets_closed=len(closed), **counts)
