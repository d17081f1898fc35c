"""In-process job scheduler with one DB lease per job (SPEC §7).

A replica starts job J only when J is enabled, ``next_run_at`` <= now and it wins the lease (the lease
rule of ``db.leases``: free, expired, or held by a dead predecessor on this machine). The lease lasts
``leases.TTL`` and is renewed every ``leases.RENEW_EVERY`` while the run lasts; at the end the holder
records the outcome, sets ``next_run_at`` = start + interval and releases the lease in one
transaction. So each job runs once per interval across all replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import pkgutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import bindparam, case, select, update
from sqlalchemy.exc import IntegrityError

from sigmatrade import clock, metrics
from sigmatrade.context import new_request_id, request_id_var
from sigmatrade.db import leases
from sigmatrade.db.hot import HotSelect
from sigmatrade.db.models import JobLease
from sigmatrade.domain.enums import JobStatus
from sigmatrade.domain.jobs import AT_START, JOB_INTERVALS
from sigmatrade.jobs import tasks
from sigmatrade.logging import get_logger, safe_message
from sigmatrade.runtime import Runtime

log = get_logger("sigmatrade.jobs")
FAILURE_ALERT_AFTER = 3


@dataclass
class JobContext:
    rt: Runtime
    name: str
    started_at: datetime
    request_id: str
    details: dict[str, Any] = field(default_factory=dict)


JobFunc = Callable[[JobContext], Awaitable[None]]


@dataclass(frozen=True)
class Job:
    name: str
    run: JobFunc
    money_critical: bool = False


def discover() -> dict[str, Job]:
    found: dict[str, Job] = {}
    for info in pkgutil.iter_modules(tasks.__path__):
        module = importlib.import_module(f"{tasks.__name__}.{info.name}")
        name = module.NAME
        if name not in JOB_INTERVALS:
            raise RuntimeError(f"job module {info.name} names an unknown job {name}")
        found[name] = Job(name, module.run, bool(getattr(module, "MONEY_CRITICAL", False)))
    return found


async def ensure_rows(rt: Runtime) -> None:
    async with rt.db.transaction() as session:
        existing = set((await session.scalars(select(JobLease.job_name))).all())
        for name in JOB_INTERVALS:
            if name not in existing:
                try:
                    async with session.begin_nested():
                        session.add(JobLease(job_name=name))
                        await session.flush()
                except IntegrityError:
                    continue


_NEXT_RUNS = HotSelect(select(JobLease.job_name, JobLease.next_run_at))
_OURS = leases.TABLE.c.holder == bindparam("me")
# Every SET expression reads the row as it was: the lease is released only if it was still ours.
_FINISH = (
    update(leases.TABLE)
    .where(leases.TABLE.c.job_name == bindparam("job"))
    .values(
        last_finished_at=bindparam("finished"),
        last_duration_ms=bindparam("ms"),
        last_status=bindparam("status"),
        last_error=bindparam("error"),
        run_count=leases.TABLE.c.run_count + 1,
        consecutive_failures=case(
            (bindparam("failed") == 1, leases.TABLE.c.consecutive_failures + 1), else_=0
        ),
        next_run_at=bindparam("next"),
        holder=case((_OURS, None), else_=leases.TABLE.c.holder),
        lease_until=case((_OURS, None), else_=leases.TABLE.c.lease_until),
    )
)
# Read back in the same transaction (not ``RETURNING``: SQLite has it only from 3.35).
_FAILURES = select(leases.TABLE.c.consecutive_failures).where(leases.TABLE.c.job_name == bindparam("job"))


class Scheduler:
    def __init__(self, rt: Runtime, jobs: dict[str, Job] | None = None, *, tick: float = 1.0) -> None:
        self.rt = rt
        self.jobs = jobs if jobs is not None else discover()
        self.tick = tick
        # Paused by the disk guard (SPEC §9.5); shared through the runtime with the guard's job.
        self.paused: set[str] = rt.ops.paused
        self._running: dict[str, asyncio.Task[JobStatus]] = {}
        self._stop = asyncio.Event()
        self._accepting = True
        self._looping = asyncio.Event()  # clear while ``run`` schedules
        self._looping.set()

    async def run(self) -> None:
        self._looping.clear()
        try:
            await ensure_rows(self.rt)
            for name in AT_START:
                enabled = name in self.jobs and await self.rt.store.get(f"job.{name}.enabled")
                if self._accepting and enabled and await self._claim(name, force=True):
                    self._start(name)
            while self._accepting:
                try:
                    await self._tick()
                except Exception:  # the database is unreachable or busy: keep scheduling, never die
                    log.exception("scheduler_tick_failed")
                await clock.sleep_unless(self._stop, self.tick)
        finally:
            self._looping.set()

    async def _tick(self) -> None:
        due = await self.due()
        for name in self.jobs:
            if not self._accepting:
                break
            if name in self._running or name in self.paused or name not in due:
                continue
            if not await self.rt.store.get(f"job.{name}.enabled"):
                continue
            if await self._claim(name):
                self._start(name)
                # Spread the starts over the tick: jobs due together would otherwise put their first
                # steps on the loop back to back, and an update arriving then waits for all of them.
                await clock.sleep_unless(self._stop, self.tick / len(self.jobs))

    def _start(self, name: str) -> None:
        task = asyncio.create_task(self._execute(name), name=f"job:{name}")
        self._running[name] = task
        task.add_done_callback(functools.partial(self._forget, name))

    def _forget(self, name: str, _task: asyncio.Task[Any]) -> None:
        self._running.pop(name, None)

    async def stop(self, grace: float = 30) -> None:
        """Stop scheduling; let running jobs finish up to ``grace`` seconds. The scheduling loop is
        waited for first: a claim it was making when told to stop may still start a job, and that job
        must be waited for too (its lease is released when the process stops)."""
        self._accepting = False
        self._stop.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._looping.wait(), grace)
        running = list(self._running.values())
        if running:
            _, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()

    async def due(self) -> set[str]:
        """The jobs whose next run has come, from one read of the lease rows per tick. Only those are
        claimed (a write transaction each); the claim checks again in its conditional UPDATE, so a
        row changed by another replica since this read is never claimed twice."""
        now = clock.now()
        rows = await _NEXT_RUNS.all(self.rt.db.engine, {})
        next_at: dict[str, datetime | None] = {name: at for name, at in rows}
        return {name for name in self.jobs if (at := next_at.get(name)) is None or at <= now}

    async def _claim(self, name: str, *, force: bool = False) -> bool:
        return await leases.acquire(self.rt.db, name, self.rt.replica_id, leases.TTL, job=True, force=force)

    async def run_now(self, name: str) -> JobStatus:
        """Run one job immediately (tests, admin 'run now'), still under its lease."""
        await ensure_rows(self.rt)
        if not await self._claim(name, force=True):
            return JobStatus.SKIPPED
        return await self._execute(name)

    async def _renew(self, name: str) -> None:
        while True:
            await asyncio.sleep(leases.RENEW_EVERY)
            if not await leases.renew(self.rt.db, name, self.rt.replica_id):
                log.warning("job_lease_lost", job=name)

    async def _execute(self, name: str) -> JobStatus:
        job = self.jobs[name]
        rid = new_request_id()
        token = request_id_var.set(rid)
        started = clock.now()
        began = time.perf_counter()
        renewer = asyncio.create_task(self._renew(name))
        status, error = JobStatus.OK, None
        try:
            with structlog.contextvars.bound_contextvars(job=name, request_id=rid):
                await job.run(JobContext(self.rt, name, started, rid))
        except asyncio.CancelledError:
            status, error = JobStatus.ERROR, "cancelled"
            raise
        except Exception as exc:
            status, error = JobStatus.ERROR, f"{type(exc).__name__}: {safe_message(exc)}"[:1000]
            log.exception("job_failed", job=name)
        finally:
            renewer.cancel()
            duration = time.perf_counter() - began
            metrics.job_runs.labels(job=name, status=str(status)).inc()
            metrics.job_duration.labels(job=name, status=str(status)).observe(duration)
            failures = await self._finish(name, started, duration, status, error)
            request_id_var.reset(token)
            await self._alerts(name, status, failures, error)
        return status

    async def _finish(
        self, name: str, started: datetime, duration: float, status: JobStatus, error: str | None
    ) -> int:
        """Record the run, set the next one and release the lease (if still ours): one UPDATE."""
        interval = int(await self.rt.store.get(f"job.{name}.interval_seconds"))
        next_run = next_cleanup_run(started) if name == "cleanup" else started + timedelta(seconds=interval)
        params = {
            "job": name,
            "me": self.rt.replica_id,
            "finished": clock.now(),
            "ms": int(duration * 1000),
            "status": status,
            "error": error,
            "failed": int(status == JobStatus.ERROR),
            "next": next_run,
        }
        async with self.rt.db.engine.begin() as conn:
            await conn.execute(_FINISH, params)
            failures = (await conn.execute(_FAILURES, params)).scalar()
        return int(failures or 0)

    async def _alerts(self, name: str, status: JobStatus, failures: int, error: str | None) -> None:
        """3 consecutive failures -> admin alert (at most hourly); the next success -> 'recovered'."""
        from sigmatrade.services.notifications import Content, notifier

        marker = f"jobfail:{name}"
        error_class = (error or "").split(":", 1)[0]
        try:
            if status == JobStatus.ERROR and failures >= FAILURE_ALERT_AFTER:
                await self.rt.counter.mute(marker, 7 * 86400)
                await notifier(self.rt).to_admins(
                    lambda t: Content(t("alert.job_failing", job=name, failures=failures, error=error_class)),
                    dedupe_key=marker,
                    dedupe_seconds=3600,
                )
            elif status == JobStatus.OK and await self.rt.counter.muted_for(marker) > 0:
                await self.rt.counter.mute(marker, 0)
                await notifier(self.rt).to_admins(lambda t: Content(t("alert.job_recovered", job=name)))
        except Exception:
            log.exception("job_alert_failed", job=name)


def next_cleanup_run(now: datetime) -> datetime:
    """Cleanup runs daily at 03:00 UTC."""
    target = now.replace(hour=3, minute=0, second=0, microsecond=0)
    return target if target > now else target + timedelta(days=1)
