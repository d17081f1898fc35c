"""Per-update handling latency of simple menu screens, excluding Bot API time (SPEC §1.5 target:
p50 <= 3 ms, p99 <= 15 ms on PostgreSQL).

The real bot runs against the emulator; a probe middleware (first in the chain) measures each update
and subtracts the time spent in Bot API requests (measured by a request middleware on the bot session).

    make bench                                  # SQLite
    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/sigmatrade_bench make bench
    BENCH_REDIS_URL=redis://127.0.0.1:6379/0 ...  # FSM storage and throttling counters in Redis
    BENCH_PROFILE=1 ...                         # also count Python function calls (cProfile; slower)
    BENCH_USERS=registered ...                  # registered users (main menu) instead of guests
    BENCH_PROFILE=top BENCH_PROFILE_CASE=admin  # profile the admin case instead of the user case
    BENCH_PROFILE_SORT=tottime ...              # order the profile by own time (default: cumulative)
    BENCH_USER_ROUNDS=10 BENCH_ROUNDS=3000 ...  # mostly the admin case (for a sampling profiler)

A second case measures the admin screens the same way: an admin logged in through the bot alternates
the panel (attention counts) and pages of the withdrawals queue with 1,000 open requests
(``BENCH_ADMIN_REQUESTS``; 0 skips the case).

Besides wall-clock percentiles (noisy on a shared machine) it reports deterministic work per update:
SQL statements, transactions begun/committed/rolled back, Redis commands and (with BENCH_PROFILE)
Python function calls, all counted only while an update is handled and outside Bot API requests.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import BaseRequestMiddleware

from sigmatrade.bot.callbacks import Adm, Nav
from sigmatrade.logging import setup_logging
from sigmatrade.sandbox.harness import Harness

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # for tests.factories
# (wall, CPU) seconds of each Bot API request of the update being handled
api_time: ContextVar[list[tuple[float, float]] | None] = ContextVar("api_time", default=None)
samples: list[float] = []
cpu_samples: list[float] = []  # CPU time of the loop's thread per update, Bot API time excluded
# Deterministic work counters; updates are handled one at a time in this benchmark.
counts: dict[str, int] = {
    "updates": 0,
    "sql": 0,
    "begin": 0,
    "commit": 0,
    "rollback": 0,
    "pg_round_trips": 0,
    "redis": 0,
}
active = 0  # updates being handled (the next update may start while the previous one unwinds)
profiler: cProfile.Profile | None = None


def _count(name: str, n: int = 1) -> None:
    if active:
        counts[name] += n


def count_pg_round_trips() -> None:
    """Statements, BEGIN/COMMIT/ROLLBACK actually sent, and pool pre-pings (3 round trips outside a
    transaction: BEGIN; ';'; ROLLBACK) of SQLAlchemy's asyncpg adapter."""
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection as Conn

    ping, start, finish = Conn._async_ping, Conn._start_transaction, Conn._call_and_discard

    async def _async_ping(self: Any) -> Any:
        _count(
            "pg_round_trips", 3 if self._transaction is None and self.isolation_level != "autocommit" else 1
        )
        return await ping(self)

    async def _start_transaction(self: Any) -> Any:
        if self.isolation_level != "autocommit":
            _count("pg_round_trips")
        return await start(self)

    async def _call_and_discard(self: Any, fn: Any) -> Any:
        _count("pg_round_trips")
        return await finish(self, fn)

    Conn._async_ping = _async_ping  # type: ignore[method-assign]
    Conn._start_transaction = _start_transaction  # type: ignore[method-assign]
    Conn._call_and_discard = _call_and_discard  # type: ignore[method-assign]


def instrument(engine: Any, redis: Any) -> None:
    from sqlalchemy import event

    from sigmatrade.db import hot

    sync_engine = engine.sync_engine
    pg = engine.dialect.name == "postgresql"

    def on_statement(*_: Any, **__: Any) -> None:
        _count("sql")
        if pg:
            _count("pg_round_trips")

    event.listen(sync_engine, "before_cursor_execute", on_statement)
    hot.observers.append(lambda *_: on_statement())
    event.listen(sync_engine, "begin", lambda *a: _count("begin"))
    event.listen(sync_engine, "commit", lambda *a: _count("commit"))
    event.listen(sync_engine, "rollback", lambda *a: _count("rollback"))
    if engine.dialect.name == "postgresql":
        count_pg_round_trips()
    if redis is None:
        return
    from redis.asyncio.client import Pipeline

    # Commands sent on any connection (the pool's, and the one the throttle holds), pipelines apart.
    conn_class = redis.connection_pool.connection_class
    plain = conn_class.send_command
    piped = Pipeline.execute

    async def send_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        _count("redis")
        return await plain(self, *args, **kwargs)

    async def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        _count("redis", len(self.command_stack))
        return await piped(self, *args, **kwargs)

    conn_class.send_command = send_command
    Pipeline.execute = execute  # type: ignore[method-assign]


class ApiTimer(BaseRequestMiddleware):
    async def __call__(self, make_request: Any, bot: Any, method: Any) -> Any:
        started, cpu = time.perf_counter(), time.thread_time()
        if profiler is not None:
            profiler.disable()
        try:
            return await make_request(bot, method)
        finally:
            if profiler is not None and active:
                profiler.enable()
            acc = api_time.get()
            if acc is not None:
                acc.append((time.perf_counter() - started, time.thread_time() - cpu))


class Probe(BaseMiddleware):
    async def __call__(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
        global active
        acc: list[tuple[float, float]] = []
        token = api_time.set(acc)
        active += 1
        counts["updates"] += 1
        if profiler is not None and active == 1:
            profiler.enable()
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return await handler(event, data)
        finally:
            samples.append(time.perf_counter() - started - sum(wall for wall, _ in acc))
            cpu_samples.append(time.thread_time() - cpu - sum(spent for _, spent in acc))
            if profiler is not None:
                profiler.disable()
            active = 0  # updates being handled (the next update may start while the previous one unwinds)
            api_time.reset(token)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


async def prepare_pg(url: str) -> None:
    from sqlalchemy import text

    from sigmatrade.db.session import Database

    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await db.dispose()


async def seed_requests(h: Harness, n: int) -> None:
    """``n`` users, each with one withdrawal request awaiting approval (amount held, as the flow leaves it)."""
    from decimal import Decimal

    from tests.factories import credit, make_payout, make_user

    from sigmatrade.ledger import entries
    from sigmatrade.ledger.journal import post

    async with h.rt.db.transaction() as session:
        for i in range(n):
            user = await make_user(session, telegram_id=880_000 + i, language="en")
            await credit(session, user, "100")
            payout = await make_payout(session, user, Decimal(10 + i % 50))
            await post(session, entries.withdrawal_hold(payout.id, user.id, payout.amount))


async def admin_case(
    h: Harness, rounds: int, requests: int
) -> tuple[list[float], dict[str, int], list[float]]:
    from tests.e2e.admin.helpers import admin_client

    from sigmatrade.domain.enums import AdminRole

    await seed_requests(h, requests)
    admin = await admin_client(h, 879_999, role=AdminRole.ADMIN)
    samples.clear()
    cpu_samples.clear()
    for key in counts:
        counts[key] = 0
    pages = max(1, requests // 5)
    for i in range(rounds):
        if i % 2:
            await admin.press_data(Adm(sec="wd", act="list", page=1 + (i // 2) % pages).pack())
        else:
            # A distinct (ignored) id on every press: the same button twice within a second is a double
            # tap, which the throttle answers without handling.
            await admin.press_data(Adm(sec="panel", id=i + 1).pack())
    return samples[:], dict(counts), cpu_samples[:]


def report(title: str, measured: list[float], work: dict[str, int], cpu: list[float]) -> None:
    print(f"{title}, {len(measured)} updates):")
    print(
        f"  p50 {pct(measured, 50):.2f} ms   p95 {pct(measured, 95):.2f} ms   p99 {pct(measured, 99):.2f} ms   "
        f"mean {statistics.mean(measured) * 1000:.2f} ms"
    )
    # CPU time of the event loop's thread: steadier than wall-clock time on a shared machine (it leaves
    # out the waits for PostgreSQL and Redis, and other processes' turns on the CPU).
    print(f"  CPU time per update: p50 {pct(cpu, 50):.2f} ms   mean {statistics.mean(cpu) * 1000:.2f} ms")
    print("  target (SPEC §1.5, PostgreSQL): p50 <= 3 ms, p99 <= 15 ms")
    n = max(1, work.pop("updates"))
    print("work per update: " + "   ".join(f"{k} {v / n:.2f}" for k, v in work.items()))


async def main() -> int:
    setup_logging("ERROR", "console")
    global profiler
    rounds = int(os.environ.get("BENCH_ROUNDS", "300"))
    url = os.environ.get("BENCH_DATABASE_URL")
    redis_url = os.environ.get("BENCH_REDIS_URL") or None
    workdir = Path(tempfile.mkdtemp(prefix="sigmatrade-bench-"))
    if url:
        await prepare_pg(url)
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    if redis_url:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        await client.flushdb()
        await client.aclose()
    h = Harness(url, redis_url=redis_url)
    await h.start()
    try:
        assert h.app is not None and h.app.dp is not None and h.app.bot is not None
        h.app.bot.session.middleware(ApiTimer())
        h.app.dp.update.outer_middleware._middlewares.insert(0, Probe())  # type: ignore[attr-defined]
        async with h.rt.db.transaction() as session:
            await h.rt.store.get("throttle.updates_per_minute")
            from sigmatrade.services import settings as settings_service

            await settings_service.write(session, "throttle.updates_per_minute", 10_000, None)
        h.rt.store.invalidate()
        # Many users so that no user repeats a button within the 1 s double-tap window.
        users = [h.user(424_000 + n, "Bench", language_code="en") for n in range(60)]
        if os.environ.get("BENCH_USERS") == "registered":
            sys.path.insert(0, ROOT)
            from tests.factories import make_user

            async with h.rt.db.transaction() as session:
                for n in range(60):
                    await make_user(session, telegram_id=424_000 + n, language="en")
        for user in users:
            await user.send("/start")
        instrument(h.rt.db.engine, h.rt.redis)
        samples.clear()
        cpu_samples.clear()
        for key in counts:
            counts[key] = 0
        if os.environ.get("BENCH_PROFILE"):
            profiler = cProfile.Profile()
        for i in range(int(os.environ.get("BENCH_USER_ROUNDS", rounds))):
            user = users[i % len(users)]
            await user.send("/help")
            await user.press_data(Nav(to="menu" if (i // len(users)) % 2 else "help").pack())
        measured, cpu = samples[:], cpu_samples[:]
        work = dict(counts)
        admin_requests = int(os.environ.get("BENCH_ADMIN_REQUESTS", "1000"))
        admin_result = None
        if admin_requests > 0:
            sys.path.insert(0, ROOT)
            profiling = profiler
            if os.environ.get("BENCH_PROFILE_CASE") != "admin":
                profiler = None  # the user case only, unless the admin case is asked for
            elif profiler is not None:
                profiler = cProfile.Profile()
            admin_result = await admin_case(h, rounds, admin_requests)
            profiler = profiling if os.environ.get("BENCH_PROFILE_CASE") != "admin" else profiler
    finally:
        await h.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    backend = ("PostgreSQL" if url.startswith("postgresql") else "SQLite") + (" + Redis" if redis_url else "")
    backend += ", registered users" if os.environ.get("BENCH_USERS") == "registered" else ", guests"
    n = max(1, work.get("updates", 1))
    report(f"user screens: update handling latency, excluding Bot API time ({backend}", measured, work, cpu)
    if admin_result is not None:
        admin_backend = backend.split(",")[0]
        panel, queue = admin_result[0][0::2], admin_result[0][1::2]
        print(
            f"admin screens apart: panel p50 {pct(panel, 50):.2f} / p99 {pct(panel, 99):.2f} ms, "
            f"withdrawals queue p50 {pct(queue, 50):.2f} / p99 {pct(queue, 99):.2f} ms"
        )
        report(
            f"admin screens (panel, withdrawals queue with {admin_requests} open requests), excluding Bot API "
            f"time ({admin_backend}",
            *admin_result,
        )
    if profiler is not None:
        stats = pstats.Stats(profiler)
        print(f"python function calls per update: {stats.total_calls / n:.0f}")  # type: ignore[attr-defined]
        if os.environ.get("BENCH_PROFILE_OUT"):
            stats.dump_stats(os.environ["BENCH_PROFILE_OUT"])
        if os.environ.get("BENCH_PROFILE") == "top":
            stats.sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(40)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
