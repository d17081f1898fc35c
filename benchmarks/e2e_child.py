"""`sigmatrade run` with work counters for bench_e2e: SQL statements, transactions, PostgreSQL round trips
and Redis commands are counted in-process and exported on the process's own /metrics as
``bench_work_total{kind=...}``. Nothing else differs from `sigmatrade run`."""

from __future__ import annotations

import os
import sys
from typing import Any

from prometheus_client import Counter
from sqlalchemy import event
from sqlalchemy.engine import Engine

from sigmatrade import metrics
from sigmatrade.db import hot

WORK = Counter("bench_work", "Work done by the process (bench_e2e)", ["kind"], registry=metrics.REGISTRY)


def _install() -> None:
    def statement(dialect: str) -> None:
        WORK.labels("sql").inc()
        if dialect == "postgresql":
            WORK.labels("pg_round_trips").inc()

    event.listen(Engine, "before_cursor_execute", lambda conn, *_, **__: statement(conn.dialect.name))
    hot.observers.append(lambda dialect, _sql: statement(dialect))  # reads sent to the driver directly
    event.listen(Engine, "begin", lambda *a: WORK.labels("begin").inc())
    event.listen(Engine, "commit", lambda *a: WORK.labels("commit").inc())
    event.listen(Engine, "rollback", lambda *a: WORK.labels("rollback").inc())

    # Only the drivers the process uses: importing asyncpg or the Redis client here would add their
    # memory to a SQLite process's idle RSS.
    if os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        _count_pg_round_trips()
    if os.environ.get("REDIS_URL"):
        _count_redis()


def _count_pg_round_trips() -> None:
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection as Conn

    ping, start, finish = Conn._async_ping, Conn._start_transaction, Conn._call_and_discard

    async def _async_ping(self: Any) -> Any:
        plain = self._transaction is None and self.isolation_level != "autocommit"
        WORK.labels("pg_round_trips").inc(3 if plain else 1)
        return await ping(self)

    async def _start_transaction(self: Any) -> Any:
        if self.isolation_level != "autocommit":
            WORK.labels("pg_round_trips").inc()
        return await start(self)

    async def _call_and_discard(self: Any, fn: Any) -> Any:
        WORK.labels("pg_round_trips").inc()
        return await finish(self, fn)

    Conn._async_ping = _async_ping  # type: ignore[method-assign]
    Conn._start_transaction = _start_transaction  # type: ignore[method-assign]
    Conn._call_and_discard = _call_and_discard  # type: ignore[method-assign]


def _count_redis() -> None:
    from redis.asyncio.client import Pipeline, Redis

    plain_cmd, piped = Redis.execute_command, Pipeline.execute

    async def execute_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(self, Pipeline):
            WORK.labels("redis").inc()
        return await plain_cmd(self, *args, **kwargs)

    async def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        WORK.labels("redis").inc(len(self.command_stack))
        return await piped(self, *args, **kwargs)

    Redis.execute_command = execute_command  # type: ignore[method-assign]
    Pipeline.execute = execute  # type: ignore[method-assign]


def _record_stalls(out: str) -> None:
    """``BENCH_STALLS_OUT=<file>``: every event-loop step longer than 0.5 ms, by task name and coroutine,
    written at exit to ``<file>.<pid>`` (count, total, max, and the steps over 1 ms): what holds the loop
    while updates wait."""
    import asyncio.events
    import atexit
    import time

    stats: dict[str, list[float]] = {}
    run = asyncio.events.Handle._run

    def _run(self: Any) -> None:
        began = time.perf_counter()
        run(self)
        took = time.perf_counter() - began
        if took > 0.0005:
            owner = getattr(self._callback, "__self__", None)
            if isinstance(owner, asyncio.Task):
                label = f"{owner.get_name()} {owner.get_coro().__qualname__}"  # type: ignore[union-attr]
            else:
                label = getattr(self._callback, "__qualname__", repr(self._callback))
            stats.setdefault(label, []).append(took)

    def dump() -> None:
        with open(f"{out}.{os.getpid()}", "w") as f:
            for label, took in sorted(stats.items(), key=lambda kv: -sum(kv[1])):
                over = sum(1 for t in took if t > 0.001)
                f.write(
                    f"{len(took):6d} steps  total {sum(took) * 1000:9.1f} ms  max {max(took) * 1000:6.2f} ms"
                    f"  >1ms {over:5d}  {label}\n"
                )

    asyncio.events.Handle._run = _run  # type: ignore[method-assign]
    atexit.register(dump)


if __name__ == "__main__":
    _install()
    if os.environ.get("BENCH_STALLS_OUT"):
        _record_stalls(os.environ["BENCH_STALLS_OUT"])
    from sigmatrade.cli import main

    sys.exit(main(["run", *sys.argv[1:]]))
