"""disk_guard (SPEC §7, §9.5): hourly and at start, the usage of the filesystem holding ``DATA_DIR``
decides the tier; each tier's actions are applied and a step down undoes the higher tier's pauses and
log level and sends one "recovered" note.

Pauses live in this process (``rt.ops.paused``, read by the scheduler); the backup job also
checks the disk itself before it writes, so a replica that did not run the guard never fills the disk.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from sigmatrade import clock, metrics
from sigmatrade.jobs.scheduler import JobContext
from sigmatrade.logging import get_logger, set_level
from sigmatrade.ops import backup as backup_files
from sigmatrade.ops import disk
from sigmatrade.ops.disk import Tier
from sigmatrade.runtime import Runtime
from sigmatrade.services.notifications import Content, notifier

NAME = "disk_guard"
log = get_logger("sigmatrade.jobs.disk_guard")
_ALERTS = {Tier.WARN: "alert.disk_warn", Tier.SHED: "alert.disk_shed", Tier.EMERGENCY: "alert.disk_emergency"}


def _level(configured: str, raised: str | None) -> str:
    if raised is None:
        return configured
    return max(configured, raised, key=logging.getLevelName)


def _sizes(rt: Runtime) -> dict[str, int]:
    settings = rt.config
    sizes = {
        "data": disk.dir_size(Path(settings.data_dir)),
        "backups": disk.dir_size(Path(settings.backup_dir)),
    }
    if settings.log_file:
        log_path = Path(settings.log_file)
        sizes["logs"] = sum(
            p.stat().st_size for p in log_path.parent.glob(f"{log_path.name}*") if p.is_file()
        )
    return sizes


def _housekeeping(rt: Runtime, plan: disk.Plan) -> dict[str, Any]:
    settings, now = rt.config, clock.now()
    done: dict[str, Any] = {}
    if plan.temp_older_than is not None:
        removed = disk.clean_temp(disk.temp_dir(settings.data_dir), plan.temp_older_than, now)
        removed += backup_files.remove_stale_partials(Path(settings.backup_dir), plan.temp_older_than, now)
        done["temp_deleted"] = len(removed)
    if plan.trim_backups:
        limit = int(settings.backup_local_max_gb * 2**30)
        trimmed = backup_files.trim_to(Path(settings.backup_dir), limit)
        done["backups_trimmed"] = [p.name for p in trimmed]
    return done


async def run(ctx: JobContext) -> None:
    rt, settings = ctx.rt, ctx.rt.config
    percent = await asyncio.to_thread(disk.read_usage, rt.ops.disk_usage, settings.data_dir)
    metrics.disk_usage.set(percent)
    tier = disk.tier_for(
        percent, settings.disk_warn_percent, settings.disk_shed_percent, settings.disk_emergency_percent
    )
    previous = rt.ops.disk_tier
    plan = disk.PLANS[tier]

    paused = rt.ops.paused
    released = sorted(paused - plan.paused)
    paused.clear()
    paused.update(plan.paused)
    if tier != previous:  # the configured level stays untouched while the tier holds
        set_level(_level(settings.log_level, plan.log_level))
    rt.ops.disk_tier = tier

    done = await asyncio.to_thread(_housekeeping, rt, plan)
    ctx.details.update(percent=percent, tier=tier.label, paused=sorted(plan.paused), **done)
    if tier == Tier.NORMAL:
        sizes = await asyncio.to_thread(_sizes, rt)
        ctx.details["sizes"] = sizes
        log.info("disk_normal", percent=percent, **{f"{k}_bytes": v for k, v in sizes.items()})
    else:
        log.warning("disk_tier", percent=percent, tier=tier.label, previous=previous.label, **done)

    alerts = notifier(rt)
    if tier < previous:
        await alerts.to_admins(
            lambda t: Content(
                t("alert.disk_recovered", percent=f"{percent:g}", tier=tier.label, was=previous.label)
            ),
        )
        ctx.details["recovered_from"] = previous.label
        log.warning("disk_recovered", percent=percent, tier=tier.label, released=released)
    elif tier > Tier.NORMAL:
        key = _ALERTS[tier]
        await alerts.to_admins(
            lambda t: Content(t(key, percent=f"{percent:g}", path=settings.data_dir)),
            dedupe_key=f"disk:{tier.label}",
            dedupe_seconds=3600,
        )
