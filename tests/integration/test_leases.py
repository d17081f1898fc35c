"""Lease identity: a dead predecessor's lease is taken at once, a live holder's never (db.leases)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy import select

from sigmatrade import clock
from sigmatrade.db import leases
from sigmatrade.db.models import JobLease
from sigmatrade.db.session import Database
from sigmatrade.runtime import Runtime


def _dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    return int(proc.stdout)


def _holder(machine: str, pid: int, token: str = "abcdef") -> str:
    return f"{machine}:{pid}:{token}"


async def _hold(db: Database, name: str, holder: str, seconds: float = 60) -> None:
    async with db.transaction() as session:
        row = await session.get(JobLease, name)
        if row is None:
            session.add(
                JobLease(job_name=name, holder=holder, lease_until=clock.now() + timedelta(seconds=seconds))
            )
        else:
            row.holder, row.lease_until = holder, clock.now() + timedelta(seconds=seconds)


@contextlib.asynccontextmanager
async def _runtime(db: Database) -> AsyncIterator[Runtime]:
    """A started runtime without bot, jobs or HTTP: the test drives the scheduler itself."""
    from sigmatrade.app import Application, Components
    from sigmatrade.config import load_config

    config = load_config(_env_file=None, database_url=db.url, environment="test", bsc_rpc_urls="")
    app = Application(config, Components(bot=False, jobs=False, http=False))
    rt = await app.start()
    try:
        yield rt
    finally:
        await app.stop()


async def _next_runs_in(rt: Runtime, delta: timedelta) -> None:
    """Every job's next run at now + ``delta`` (the lease rows created first)."""
    from sigmatrade.jobs.scheduler import ensure_rows

    await ensure_rows(rt)
    async with rt.db.transaction() as session:
        for row in (await session.scalars(select(JobLease))).all():
            row.next_run_at = clock.now() + delta


async def test_a_dead_process_of_this_machine_is_taken_over_at_once(db: Database) -> None:
    me = leases.holder_id()
    await _hold(db, "telegram_polling", _holder(leases.machine_id(), _dead_pid()))
    assert await leases.acquire(db, "telegram_polling", me)
    assert await leases.holder_of(db, "telegram_polling") == me


async def test_an_earlier_incarnation_with_our_pid_is_taken_over(db: Database) -> None:
    me = leases.holder_id()
    await _hold(db, "cleanup", _holder(leases.machine_id(), os.getpid(), "0a0a0a"))  # e.g. PID 1 again
    assert await leases.acquire(db, "cleanup", me)


async def test_live_holders_are_never_taken_over(db: Database) -> None:
    me = leases.holder_id()
    sibling = leases.holder_id()  # another runtime in this process (live)
    await _hold(db, "a", sibling)
    assert not await leases.acquire(db, "a", me)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(30)")
    try:
        await _hold(db, "b", _holder(leases.machine_id(), proc.pid))
        assert not await leases.acquire(db, "b", me)  # alive on this machine
    finally:
        proc.kill()
        await proc.wait()
    # Another machine: its PIDs mean nothing here, so only expiry frees the lease.
    await _hold(db, "c", _holder("elsewhere/0123456789", _dead_pid()), seconds=leases.TTL)
    assert not await leases.acquire(db, "c", me)
    clock.travel(timedelta(seconds=leases.TTL + 1))
    assert await leases.acquire(db, "c", me)


async def test_release_all_frees_every_lease_of_a_holder(db: Database) -> None:
    me, other = leases.holder_id(), leases.holder_id()
    for name in ("x", "y"):
        assert await leases.acquire(db, name, me)
    assert await leases.acquire(db, "z", other)
    assert await leases.release_all(db, me) == 2
    async with db.session() as session:
        held = dict((await session.execute(select(JobLease.job_name, JobLease.holder))).all())
    assert held["x"] is None and held["y"] is None and held["z"] == other


async def test_a_job_held_by_a_dead_predecessor_is_claimed(db: Database) -> None:
    from sigmatrade.jobs.scheduler import Scheduler

    async with _runtime(db) as rt:
        scheduler = Scheduler(rt)
        await _hold(rt.db, "cleanup", _holder(leases.machine_id(), _dead_pid()), seconds=3600)
        async with rt.db.transaction() as session:
            row = await session.get(JobLease, "cleanup")
            assert row is not None
            row.next_run_at = clock.now() - timedelta(seconds=1)
        assert await scheduler._claim("cleanup")
        assert await leases.holder_of(rt.db, "cleanup") == rt.replica_id


async def test_a_tick_with_nothing_due_writes_nothing(db: Database) -> None:
    """The scheduler reads the lease rows once per tick and claims (a write transaction) only the jobs
    that are due; before, every tick tried a conditional UPDATE for every job (~11 writes a second)."""
    from sqlalchemy import event

    from sigmatrade.jobs.scheduler import Job, JobContext, Scheduler

    runs: list[str] = []

    async def job(ctx: JobContext) -> None:
        runs.append("cleanup")

    writes: list[str] = []

    def on_sql(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().split()[0].upper() in ("UPDATE", "INSERT", "DELETE"):
            writes.append(statement[:60])

    async with _runtime(db) as rt:
        await _next_runs_in(rt, timedelta(hours=1))
        scheduler = Scheduler(rt, {"cleanup": Job("cleanup", job), "backup": Job("backup", job)}, tick=0.02)
        event.listen(rt.db.engine.sync_engine, "before_cursor_execute", on_sql)
        task = asyncio.create_task(scheduler.run())
        await asyncio.sleep(0.3)
        assert runs == [] and writes == [], writes
        async with rt.db.transaction() as session:
            row = await session.get(JobLease, "cleanup")
            assert row is not None
            row.next_run_at = clock.now() - timedelta(seconds=1)
        for _ in range(100):
            if runs:
                break
            await asyncio.sleep(0.02)
        assert runs == ["cleanup"]  # the due job is claimed and run; the other is left alone
        await scheduler.stop()
        await task
        event.remove(rt.db.engine.sync_engine, "before_cursor_execute", on_sql)


async def test_a_finished_run_is_recorded_and_releases_only_its_own_lease(db: Database) -> None:
    """The run's bookkeeping (one UPDATE): counts, failures in a row (reset by a success), the next
    run at start + interval, and the lease released only while this replica still holds it."""
    from sigmatrade.domain.enums import JobStatus
    from sigmatrade.jobs.scheduler import FAILURE_ALERT_AFTER, Job, JobContext, Scheduler

    outcomes = ["fail"] * FAILURE_ALERT_AFTER + ["ok", "taken"]
    started: list[object] = []

    async def job(ctx: JobContext) -> None:
        started.append(ctx.started_at)
        outcome = outcomes[len(started) - 1]
        if outcome == "taken":  # another replica took the lease meanwhile (ours had expired)
            await _hold(rt.db, "backup", "elsewhere/abc:1:ffffff")
        if outcome == "fail":
            raise RuntimeError("boom")

    async def row() -> JobLease:
        async with rt.db.session() as session:
            found = await session.get(JobLease, "backup")
            assert found is not None
            return found

    async with _runtime(db) as rt:
        scheduler = Scheduler(rt, {"backup": Job("backup", job)})
        interval = int(await rt.store.get("job.backup.interval_seconds"))
        for n in range(1, FAILURE_ALERT_AFTER + 1):
            assert await scheduler.run_now("backup") == JobStatus.ERROR
            lease = await row()
            assert (lease.run_count, lease.consecutive_failures) == (n, n)
            assert lease.last_status == JobStatus.ERROR and lease.last_error == "RuntimeError: boom"
            assert lease.holder is None and lease.lease_until is None
        assert await rt.counter.muted_for("jobfail:backup") > 0  # the failing alert was raised

        assert await scheduler.run_now("backup") == JobStatus.OK
        lease = await row()
        assert (lease.run_count, lease.consecutive_failures) == (FAILURE_ALERT_AFTER + 1, 0)
        assert lease.last_status == JobStatus.OK and lease.last_error is None
        assert lease.next_run_at == started[-1] + timedelta(seconds=interval)  # type: ignore[operator]
        assert lease.last_finished_at is not None and lease.last_duration_ms is not None
        assert await rt.counter.muted_for("jobfail:backup") == 0  # recovered

        assert await scheduler.run_now("backup") == JobStatus.OK
        lease = await row()
        assert lease.run_count == FAILURE_ALERT_AFTER + 2
        assert lease.holder == "elsewhere/abc:1:ffffff" and lease.lease_until is not None  # not ours: kept


async def test_stop_waits_for_every_job_the_loop_started(db: Database) -> None:
    """Due jobs start spread over the tick; ``stop`` during that spread starts nothing more and waits
    for every job already started, so no lease is released (at shutdown) under a running job."""
    from sigmatrade.jobs.scheduler import Job, JobContext, Scheduler

    names = ["backup", "cleanup", "memory_monitor", "performance_report"]
    started: list[str] = []
    finished: list[str] = []

    async def job(ctx: JobContext) -> None:
        started.append(ctx.name)
        await asyncio.sleep(0.6)
        finished.append(ctx.name)

    async with _runtime(db) as rt:
        await _next_runs_in(rt, timedelta(seconds=-1))  # every job due
        scheduler = Scheduler(rt, {name: Job(name, job) for name in names}, tick=1.0)
        task = asyncio.create_task(scheduler.run())
        for _ in range(200):
            if started:
                break
            await asyncio.sleep(0.01)
        assert started, "no job started"
        await scheduler.stop(grace=10)
        stopped_with = list(started)
        assert sorted(finished) == sorted(stopped_with), (started, finished)  # all waited for
        assert len(stopped_with) < len(names)  # the spread was cut short by the stop
        await asyncio.sleep(0.3)
        assert started == stopped_with  # nothing started after stop returned
        await asyncio.wait_for(task, 2)
        assert await leases.release_all(rt.db, rt.replica_id) == 0  # every run released its own lease


async def test_a_failing_tick_does_not_stop_the_scheduler(db: Database) -> None:
    """A database error in a tick (a PostgreSQL restart, a locked SQLite file) is logged; the next tick
    schedules as usual (before, one error ended the scheduling loop until the process restarted)."""
    from sigmatrade.jobs.scheduler import Job, JobContext, Scheduler

    runs: list[str] = []

    async def job(ctx: JobContext) -> None:
        runs.append(ctx.name)

    async with _runtime(db) as rt:
        await _next_runs_in(rt, timedelta(seconds=-1))  # every job due
        scheduler = Scheduler(rt, {"backup": Job("backup", job)}, tick=0.05)
        real_due = scheduler.due
        failures = 0

        async def due() -> set[str]:
            nonlocal failures
            if failures < 2:
                failures += 1
                raise OSError("connection refused")
            return await real_due()

        scheduler.due = due  # type: ignore[method-assign]
        task = asyncio.create_task(scheduler.run())
        for _ in range(100):
            if runs:
                break
            await asyncio.sleep(0.02)
        assert failures == 2 and runs == ["backup"]
        await scheduler.stop()
        await asyncio.wait_for(task, 2)


def test_a_long_poll_ends_before_the_polling_lease_can_lapse() -> None:
    """The polling lease is renewed between polls; a long poll as long as the lease (10 s each, before)
    let it lapse mid-poll, and a standby replica could take it and poll the same updates."""
    from sigmatrade.bot.polling import Poller

    poller = Poller(None, None, None, timeout=10)  # type: ignore[arg-type]
    assert poller.timeout + leases.RENEW_EVERY < leases.TTL
