"""backup (SPEC §7, §9.6): every 6 hours one verified backup, then retention. Skipped while the disk
is at the shed tier or above (checked here too, so a replica that did not run the disk guard never
fills the disk); a failure alerts admins and fails the run."""

from __future__ import annotations

import asyncio

from sigmatrade.jobs.scheduler import JobContext
from sigmatrade.logging import get_logger
from sigmatrade.ops import disk
from sigmatrade.services import backup
from sigmatrade.services.notifications import Content, notifier

NAME = "backup"
log = get_logger("sigmatrade.jobs.backup")


async def run(ctx: JobContext) -> None:
    rt, settings = ctx.rt, ctx.rt.config
    percent = await asyncio.to_thread(disk.read_usage, rt.ops.disk_usage, settings.data_dir)
    tier = disk.tier_for(
        percent, settings.disk_warn_percent, settings.disk_shed_percent, settings.disk_emergency_percent
    )
    if tier >= disk.Tier.SHED:
        ctx.details.update(skipped=f"disk {percent:g} % ({tier.label})")
        log.warning("backup_skipped", percent=percent, tier=tier.label)
        return
    try:
        outcome = await backup.run_backup(settings, rt.store)
    except Exception as exc:
        error = str(exc) if isinstance(exc, backup.BackupError) else f"{type(exc).__name__}: {exc}"
        await notifier(rt).to_admins(
            lambda t: Content(t("alert.backup_failed", error=error)), dedupe_key="backup_failed"
        )
        raise
    ctx.details.update(
        file=outcome.result.path.name,
        size=outcome.result.size,
        encrypted=outcome.result.encrypted,
        deleted=[p.name for p in outcome.deleted],
    )
