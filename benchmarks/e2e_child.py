"""`sigmatrade run` with work counters for bench_e2e: SQL statements, transactions, PostgreSQL round trips
and Redis commands are counted in-process and exported on the process's own /metrics as
``bench_work_total{kind=...}``. Nothing else differs from `sigmatrade run`."""

from __future__ import annotations

import os
import sys
from typing import Any

from sigmatrade.ops import heap

heap.pause()  # as `sigmatrade run` does before its imports: this file's imports come first here

from prometheus_client import Counter  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from sigmatrade import metrics  # noqa: E402
from sigmatrade.db import hot  # noqa: E402

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
    """Commands sent on any connection (the pool's, and the one the throttle holds), pipelines apart."""
    from redis.asyncio.client import Pipeline
    from redis.asyncio.connection import Connection

    plain_send, piped = Connection.send_command, Pipeline.execute

    async def send_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        WORK.labels("redis").inc()
        return await plain_send(self, *args, **kwargs)

    async def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        WORK.labels("redis").inc(len(self.command_stack))
        return await piped(self, *args, **kwargs)

    Connection.send_command = send_command  # type: ignore[method-assign]
    Pipeline.execute = execute  # type: ignore[method-assign]


def _record_stalls(out: str) -> None:
    """``BENCH_STALLS_OUT=<file>``: every event-loop step longer than 0.5 ms, by task name and coroutine,
    written at exit to ``<file>.<pid>`` (count, total, max, and the steps over 1 ms): what holds the loop
    while updates wait. Then the task steps over 1 ms by where they resumed and where they suspended
    (the code between two awaits that held the loop), and the garbage collections by generation."""
    import asyncio.events
    import atexit
    import gc
    import time

    stats: dict[str, list[float]] = {}
    spans: dict[str, list[float]] = {}  # "resumed at -> suspended at" of the task steps over 1 ms
    collections: dict[int, list[float]] = {}
    collecting = [0.0]
    run = asyncio.events.Handle._run

    def where(coro: Any) -> str:
        """The innermost frame a task's coroutine chain is suspended in (file:line function)."""
        frame = None
        while coro is not None:
            inner = next(
                (f for a in ("cr_frame", "ag_frame", "gi_frame") if (f := getattr(coro, a, None))), None
            )
            if inner is None:
                break  # a future or an awaitable without a frame: its awaiter is where the task waits
            frame = inner
            coro = next(
                (c for a in ("cr_await", "ag_await", "gi_yieldfrom") if (c := getattr(coro, a, None))), None
            )
        if frame is None:
            return "(done)"
        return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno} {frame.f_code.co_name}"

    def _run(self: Any) -> None:
        owner = getattr(self._callback, "__self__", None)
        task = owner if isinstance(owner, asyncio.Task) else None
        resumed = where(task.get_coro()) if task is not None else ""
        began = time.perf_counter()
        run(self)
        took = time.perf_counter() - began
        if took > 0.0005:
            if task is not None:
                label = f"{task.get_name()} {task.get_coro().__qualname__}"  # type: ignore[union-attr]
                if took > 0.001:
                    span = f"{task.get_name()}: {resumed} -> {where(task.get_coro())}"
                    spans.setdefault(span, []).append(took)
            else:
                label = getattr(self._callback, "__qualname__", repr(self._callback))
            stats.setdefault(label, []).append(took)

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collecting[0] = time.perf_counter()
        else:
            collections.setdefault(info["generation"], []).append(time.perf_counter() - collecting[0])

    def line(took: list[float]) -> str:
        over = sum(1 for t in took if t > 0.001)
        return f"{len(took):6d} steps  total {sum(took) * 1000:9.1f} ms  max {max(took) * 1000:6.2f} ms  >1ms {over:5d}"

    def dump() -> None:
        with open(f"{out}.{os.getpid()}", "w") as f:
            for label, took in sorted(stats.items(), key=lambda kv: -sum(kv[1])):
                f.write(f"{line(took)}  {label}\n")
            f.write("\nsteps over 1 ms, where they resumed -> where they suspended:\n")
            for span, took in sorted(spans.items(), key=lambda kv: -sum(kv[1])):
                f.write(f"{line(took)}  {span}\n")
            f.write("\ngarbage collections (a 'step' is a collection):\n")
            for generation, took in sorted(collections.items()):
                f.write(f"{line(took)}  generation {generation}\n")

    asyncio.events.Handle._run = _run  # type: ignore[method-assign]
    gc.callbacks.append(on_gc)
    atexit.register(dump)


def _record_startup(out: str) -> None:
    """``BENCH_STARTUP_OUT=<file>``: the start-up timeline, seconds from the process's creation (and RSS)
    at the end of each step (imports, runtime, each Bot API call until the first ``getUpdates``, the
    dispatcher, the commands), written to ``<file>.<pid>`` when the first ``getUpdates`` is sent."""
    import functools
    import time

    import psutil

    born = psutil.Process().create_time()
    marks: list[str] = []

    def mark(label: str) -> None:
        marks.append(
            f"{time.time() - born:8.3f} s {psutil.Process().memory_info().rss / 2**20:6.1f} MB  {label}"
        )

    mark("interpreter up")
    from aiogram import Bot

    mark("aiogram imported")
    from sigmatrade import app
    from sigmatrade.bot import commands, factory
    from sigmatrade.chain import runtime

    mark("sigmatrade imported")

    def timed(owner: Any, name: str) -> None:
        inner = getattr(owner, name)

        @functools.wraps(inner)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = await inner(*args, **kwargs)
            mark(f"{name} done")
            return result

        setattr(owner, name, wrapper)

    for owner, name in (
        (app, "prepare_database"),
        (app, "build_runtime"),
        (commands, "publish_commands"),
        (commands, "sync_admin_commands"),
        (runtime, "start_chain"),
    ):
        timed(owner, name)
    build = factory.build_dispatcher

    def build_dispatcher(*args: Any) -> Any:
        result = build(*args)
        mark("build_dispatcher done")
        return result

    factory.build_dispatcher = build_dispatcher  # type: ignore[assignment]

    def dump() -> None:
        with open(f"{out}.{os.getpid()}", "w") as f:
            f.write("\n".join(marks) + "\n")

    call = Bot.__call__

    async def bot_call(self: Any, method: Any, *args: Any, **kwargs: Any) -> Any:
        name = type(method).__name__
        if name == "GetUpdates" and marks[-1] != "":
            mark("first GetUpdates sent")
            dump()
            marks.append("")
        result = await call(self, method, *args, **kwargs)
        if marks[-1] != "":
            mark(f"{name} answered")
        return result

    Bot.__call__ = bot_call  # type: ignore[method-assign]


if __name__ == "__main__":
    if os.environ.get("BENCH_STARTUP_OUT"):
        _record_startup(os.environ["BENCH_STARTUP_OUT"])
    _install()
    if os.environ.get("BENCH_STALLS_OUT"):
        _record_stalls(os.environ["BENCH_STALLS_OUT"])
    from sigmatrade.cli import main

    sys.exit(main(["run", *sys.argv[1:]]))
