"""Lease identity: a dead predecessor's lease is taken at once, a live holder's never (db.leases)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from sigmatrade import clock
from sigmatrade.db import leases
from sigmatrade.db.models import JobLease
from sigmatrade.db.session import Database


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
    from sigmatrade.app import Application, Components
    from sigmatrade.config import load_config
    from sigmatrade.jobs.scheduler import Scheduler

    config = load_config(_env_file=None, database_url=db.url, environment="test", bsc_rpc_urls="")
    app = Application(config, Components(bot=False, jobs=False, http=False))
    rt = await app.start()
    try:
        scheduler = Scheduler(rt)
        await _hold(rt.db, "cleanup", _holder(leases.machine_id(), _dead_pid()), seconds=3600)
        async with rt.db.transaction() as session:
            row = await session.get(JobLease, "cleanup")
            assert row is not None
            row.next_run_at = clock.now() - timedelta(seconds=1)
        assert await scheduler._claim("cleanup")
        assert await leases.holder_of(rt.db, "cleanup") == rt.replica_id
    finally:
        await app.stop()


async def test_a_tick_with_nothing_due_writes_nothing(db: Database) -> None:
    """The scheduler reads the lease rows once per tick and claims (a write transaction) only the jobs
    that are due; before, every tick tried a conditional UPDATE for every job (~11 writes a second)."""
    from sqlalchemy import event

    from sigmatrade.app import Application, Components
    from sigmatrade.config import load_config
    from sigmatrade.jobs.scheduler import Job, JobContext, Scheduler, ensure_rows

    config = load_config(_env_file=None, database_url=db.url, environment="test", bsc_rpc_urls="")
    app = Application(config, Components(bot=False, jobs=False, http=False))
    rt = await app.start()
    runs: list[str] = []

    async def job(ctx: JobContext) -> None:
        runs.append("cleanup")

    writes: list[str] = []

    def on_sql(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().split()[0].upper() in ("UPDATE", "INSERT", "DELETE"):
            writes.append(statement[:60])

    try:
        await ensure_rows(rt)
        async with rt.db.transaction() as session:
            for row in (await session.scalars(select(JobLease))).all():
                row.next_run_at = clock.now() + timedelta(hours=1)
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
    finally:
        await app.stop()
