"""Memory monitor (SPEC §9.4.3) with injected readings: process RSS against MEMORY_WARN_MB /
MEMORY_CRITICAL_MB and system memory against 80 / 90 %; one alert per level per hour; the RSS and
event-loop lag gauges are updated."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sigmatrade import clock, metrics
from sigmatrade.db.models import Admin
from sigmatrade.domain.enums import JobStatus
from sigmatrade.jobs.scheduler import Scheduler
from sigmatrade.ops import loop_lag, memory
from sigmatrade.ops.memory import Level, Reading
from sigmatrade.sandbox.harness import Harness

MB = 2**20


async def test_one_alert_per_level_per_hour(harness: Harness) -> None:
    async with harness.rt.db.transaction() as session:
        session.add(Admin(telegram_id=9500, role="admin", created_via="cli"))
    admin = harness.user(9500, "Ops")
    admin.user.started = True
    reading = [Reading(100 * MB, 40.0)]
    harness.rt.ops.memory_reading = lambda: reading[0]
    own = harness.rt.ops.loop_lag
    assert own is not None
    await own.stop()  # the process's own sampler
    lag = loop_lag.LagSampler()  # not started: this test sets the samples
    lag.record(0.002)
    harness.rt.ops.loop_lag = lag
    scheduler = Scheduler(harness.rt)

    async def check(rss_mb: int, system: float) -> list[str]:
        reading[0] = Reading(rss_mb * MB, system)
        before = len(admin.messages())
        assert await scheduler.run_now("memory_monitor") == JobStatus.OK
        assert metrics.REGISTRY.get_sample_value("sigmatrade_process_memory_rss_bytes") == rss_mb * MB
        return [m.body for m in admin.messages()[before:]]

    assert await check(100, 40) == []
    [warning] = await check(600, 40)  # > MEMORY_WARN_MB (512)
    assert "warning" in warning and "600" in warning and "512" in warning
    assert await check(700, 40) == []  # same level within the hour
    [critical] = await check(1100, 40)  # > MEMORY_CRITICAL_MB (1024)
    assert "critical" in critical and "1100" in critical and "1024" in critical
    assert await check(1200, 40) == []
    [system] = await check(100, 85)
    assert "warning" in system and "85 %" in system and "80 %" in system
    [system_critical] = await check(100, 95)
    assert "critical" in system_critical and "95 %" in system_critical
    assert await check(1200, 95) == []

    assert metrics.REGISTRY.get_sample_value("sigmatrade_event_loop_lag_seconds") == 0.002
    lag.record(0.25)  # mean 126 ms > 100 ms
    [slow] = await check(100, 40)
    assert "126" in slow and "100" in slow
    assert await check(100, 40) == []

    clock.travel(timedelta(hours=1, minutes=1))
    again = await check(1200, 95)
    assert len(again) == 3 and sum("critical" in body for body in again) == 2


def test_levels() -> None:
    assert memory.process_level(512, 512, 1024) == Level.OK
    assert memory.process_level(512.1, 512, 1024) == Level.WARNING
    assert memory.process_level(1024.1, 512, 1024) == Level.CRITICAL
    assert memory.system_level(80) == Level.OK
    assert memory.system_level(80.1) == Level.WARNING
    assert memory.system_level(90.1) == Level.CRITICAL


async def test_loop_lag_is_measured_and_exported() -> None:
    sampler = loop_lag.LagSampler(interval=0.01)
    sampler.start()
    try:
        await asyncio.sleep(0.05)
        time.sleep(0.15)  # noqa: ASYNC251 - block the loop: the sampler wakes up late
        await asyncio.sleep(0.05)
    finally:
        await sampler.stop()
    assert max(sampler.samples) >= 0.1
    assert metrics.REGISTRY.get_sample_value("sigmatrade_event_loop_lag_seconds") == sampler.mean() > 0
