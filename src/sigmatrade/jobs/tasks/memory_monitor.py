"""memory_monitor (SPEC §7, §9.4.3): every 5 minutes, process RSS against ``MEMORY_WARN_MB`` /
``MEMORY_CRITICAL_MB`` and system memory against 80 % / 90 %; one alert per source and level per hour.
Also exports RSS and the event-loop lag and alerts when the lag averages over 100 ms (SPEC §9.3)."""

from __future__ import annotations

import asyncio

from sigmatrade import metrics
from sigmatrade.jobs.scheduler import JobContext
from sigmatrade.logging import get_logger
from sigmatrade.ops import loop_lag, memory
from sigmatrade.ops.memory import Level
from sigmatrade.services.notifications import Content, notifier

NAME = "memory_monitor"
DEDUPE_SECONDS = 3600
LAG_ALERT_SECONDS = 0.1
log = get_logger("sigmatrade.jobs.memory_monitor")


async def run(ctx: JobContext) -> None:
    rt, settings = ctx.rt, ctx.rt.config
    source = rt.ops.memory_reading or memory.read
    reading = await asyncio.to_thread(source)
    metrics.process_rss.set(reading.rss_bytes)

    sampler = rt.ops.loop_lag
    if sampler is not None and sampler.samples:
        lag = sampler.mean()
    else:
        lag = await loop_lag.measure_once()
        metrics.loop_lag.set(lag)

    rss_mb = round(reading.rss_mb, 1)
    process = memory.process_level(rss_mb, settings.memory_warn_mb, settings.memory_critical_mb)
    system = memory.system_level(reading.system_percent)
    ctx.details.update(
        rss_mb=rss_mb,
        system_percent=reading.system_percent,
        process=process.label,
        system=system.label,
        loop_lag_ms=round(lag * 1000, 1),
    )
    alerts = notifier(rt)
    if process > Level.OK:
        limit = settings.memory_critical_mb if process == Level.CRITICAL else settings.memory_warn_mb
        log.warning("memory_process", level=process.label, rss_mb=rss_mb, limit_mb=limit)
        await alerts.to_admins(
            lambda t: Content(t("alert.memory_process", level=process.label, rss=f"{rss_mb:g}", limit=limit)),
            dedupe_key=f"memory:process:{process.label}",
            dedupe_seconds=DEDUPE_SECONDS,
        )
    if system > Level.OK:
        limit_pct = memory.SYSTEM_CRITICAL_PERCENT if system == Level.CRITICAL else memory.SYSTEM_WARN_PERCENT
        log.warning("memory_system", level=system.label, percent=reading.system_percent)
        await alerts.to_admins(
            lambda t: Content(
                t(
                    "alert.memory_system",
                    level=system.label,
                    percent=f"{reading.system_percent:g}",
                    limit=f"{limit_pct:g}",
                )
            ),
            dedupe_key=f"memory:system:{system.label}",
            dedupe_seconds=DEDUPE_SECONDS,
        )
    if lag > LAG_ALERT_SECONDS:
        log.warning("event_loop_lag", lag_ms=round(lag * 1000, 1))
        await alerts.to_admins(
            lambda t: Content(t("alert.loop_lag", lag=f"{lag * 1000:.0f}")),
            dedupe_key="loop_lag",
            dedupe_seconds=DEDUPE_SECONDS,
        )
