"""Disk guard (SPEC §9.5, scenario 70) with injected usage 50 → 76 → 86 → 93 → 50 %: each tier's alerts,
temp clean-up, pauses, log level and trimmed backups; money-critical jobs keep running in an emergency;
stepping down lifts the measures and sends one "recovered" note."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sigmatrade import clock, metrics
from sigmatrade.db.models import Admin
from sigmatrade.domain.enums import JobStatus
from sigmatrade.domain.jobs import JOB_INTERVALS
from sigmatrade.jobs.scheduler import Job, JobContext, Scheduler
from sigmatrade.ops import backup as backup_files
from sigmatrade.ops import disk
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import perf_report
from sigmatrade.texts.i18n import Translator
from tests.conftest import REDIS_URL

MONEY_CRITICAL = {
    "blockchain_monitor",
    "payment_processor",
    "payment_retry",
    "reward_calculator",
    "notification_retry",
}


def _aged(path: Path, days: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"t" * 10)
    stamp = time.time() - days * 86400
    os.utime(path, (stamp, stamp))
    return path


async def _jobs_started_by_the_scheduler(h: Harness) -> set[str]:
    """Run the real scheduler loop over recording jobs of every name; return the names it started."""
    started: set[str] = set()
    expected = set(JOB_INTERVALS) - disk.EMERGENCY_PAUSED - {"disk_guard"}
    all_started = asyncio.Event()

    async def record(ctx: JobContext) -> None:
        started.add(ctx.name)
        if started >= expected:
            all_started.set()

    jobs = {name: Job(name, record, name in MONEY_CRITICAL) for name in JOB_INTERVALS if name != "disk_guard"}
    scheduler = Scheduler(h.rt, jobs, tick=0.05)
    task = asyncio.create_task(scheduler.run())
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_started.wait(), 20)
    await asyncio.sleep(0.3)  # room for a paused job to be (wrongly) started
    await scheduler.stop()
    await task
    return started


async def test_tiers_up_to_emergency_and_back(db_url: str, tmp_path: Path) -> None:
    data_dir, backup_dir = tmp_path / "data", tmp_path / "backups"
    data_dir.mkdir()
    backup_dir.mkdir()
    now = clock.now()
    backups = []
    for hours in (3, 2, 1):
        path = backup_dir / backup_files.backup_name(
            now - timedelta(hours=hours), postgres=False, encrypted=False
        )
        path.write_bytes(b"b" * 500)
        backups.append(path)
    temp = disk.temp_dir(str(data_dir))
    week_old, two_days_old, fresh = (_aged(temp / n, d) for n, d in (("a", 8), ("b", 2), ("c", 0)))

    h = Harness(
        db_url,
        redis_url=REDIS_URL,
        log_level="INFO",
        data_dir=str(data_dir),
        backup_dir=str(backup_dir),
        backup_local_max_gb=Decimal(1100) / 2**30,  # 1100 bytes: two of the three 500-byte backups fit
    )
    level_before = logging.getLogger().level
    await h.start()
    try:
        async with h.rt.db.transaction() as session:
            session.add(Admin(telegram_id=9400, role="super_admin", created_via="cli"))
        admin = h.user(9400, "Boss")
        admin.user.started = True
        usage = [50.0]
        h.rt.ops.disk_usage = lambda path: usage[0]
        scheduler = Scheduler(h.rt)
        root = logging.getLogger()
        root.setLevel(logging.INFO)  # as `sigmatrade run` sets it up from LOG_LEVEL

        async def step(percent: float) -> list[str]:
            usage[0] = percent
            before = len(admin.messages())
            assert await scheduler.run_now("disk_guard") == JobStatus.OK
            assert metrics.REGISTRY.get_sample_value("sigmatrade_disk_usage_percent") == percent
            return [m.body for m in admin.messages()[before:]]

        assert await step(50) == []
        assert scheduler.paused == set() and root.level == logging.INFO
        assert week_old.exists() and two_days_old.exists()

        [warn] = await step(76)
        assert "76 %" in warn and "временные файлы" in warn
        assert not week_old.exists() and two_days_old.exists() and fresh.exists()  # temp > 7 days
        assert scheduler.paused == set() and root.level == logging.INFO
        assert all(p.exists() for p in backups)

        [shed] = await step(86)
        assert "86 %" in shed and "WARNING" in shed
        assert not two_days_old.exists() and fresh.exists()  # temp > 1 day
        assert scheduler.paused == {"backup"} and root.level == logging.WARNING
        assert [p.exists() for p in backups] == [False, True, True]  # oldest first, down to the limit

        [emergency] = await step(93)
        assert "93 %" in emergency and "🆘" in emergency
        assert scheduler.paused == disk.EMERGENCY_PAUSED and root.level == logging.ERROR
        assert [p.exists() for p in backups] == [False, True, True]  # within the limit already
        started = await _jobs_started_by_the_scheduler(h)
        assert started >= MONEY_CRITICAL
        assert started.isdisjoint(disk.EMERGENCY_PAUSED)
        assert "memory_monitor" in started  # monitors keep running too
        assert await scheduler.run_now("performance_report") == JobStatus.OK  # run_now: an operator's choice
        report = h.rt.perf.last_report
        assert report is not None and (report.disk_percent, report.disk_tier) == (93, "emergency")
        assert report.rss_mb > 0 and "93% (emergency)" in str(perf_report.render(Translator("en"), report))

        assert await step(93) == []  # still in the emergency: deduplicated within the hour
        [recovered] = await step(50)
        assert "50 %" in recovered and "✅" in recovered
        assert scheduler.paused == set() and root.level == logging.INFO
        assert await step(50) == []  # one note only
        assert fresh.exists() and backups[2].exists()
    finally:
        logging.getLogger().setLevel(level_before)
        await h.stop()


def test_tier_boundaries() -> None:
    cases = {0: 0, 74.9: 0, 75: 1, 84.9: 1, 85: 2, 91.9: 2, 92: 3, 100: 3}
    for percent, tier in cases.items():
        assert disk.tier_for(percent, 75, 85, 92) == tier, percent
