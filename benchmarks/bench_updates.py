"""Per-update handling latency of simple menu screens, excluding Bot API time (SPEC §1.5 target:
p50 <= 3 ms, p99 <= 15 ms on PostgreSQL).

The real bot runs against the emulator; a probe middleware (first in the chain) measures each update
and subtracts the time spent in Bot API requests (measured by a request middleware on the bot session).

    make bench                                  # SQLite
    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/sigmatrade_bench make bench
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import BaseRequestMiddleware

from sigmatrade.bot.callbacks import Nav
from sigmatrade.logging import setup_logging
from sigmatrade.sandbox.harness import Harness

api_time: ContextVar[list[float] | None] = ContextVar("api_time", default=None)
samples: list[float] = []


class ApiTimer(BaseRequestMiddleware):
    async def __call__(self, make_request: Any, bot: Any, method: Any) -> Any:
        started = time.perf_counter()
        try:
            return await make_request(bot, method)
        finally:
            acc = api_time.get()
            if acc is not None:
                acc.append(time.perf_counter() - started)


class Probe(BaseMiddleware):
    async def __call__(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
        acc: list[float] = []
        token = api_time.set(acc)
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            samples.append(time.perf_counter() - started - sum(acc))
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


async def main() -> int:
    setup_logging("ERROR", "console")
    rounds = int(os.environ.get("BENCH_ROUNDS", "300"))
    url = os.environ.get("BENCH_DATABASE_URL")
    workdir = Path(tempfile.mkdtemp(prefix="sigmatrade-bench-"))
    if url:
        await prepare_pg(url)
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    h = Harness(url)
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
        for user in users:
            await user.send("/start")
        samples.clear()
        for i in range(rounds):
            user = users[i % len(users)]
            await user.send("/help")
            await user.press_data(Nav(to="menu" if (i // len(users)) % 2 else "help").pack())
        measured = samples[:]
    finally:
        await h.stop()
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"update handling latency, excluding Bot API time ({backend}, {len(measured)} updates):")
    print(
        f"  p50 {pct(measured, 50):.2f} ms   p95 {pct(measured, 95):.2f} ms   p99 {pct(measured, 99):.2f} ms   "
        f"mean {statistics.mean(measured) * 1000:.2f} ms"
    )
    print("  target (SPEC §1.5, PostgreSQL): p50 <= 3 ms, p99 <= 15 ms")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
