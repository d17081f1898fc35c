"""Reward calculator throughput (SPEC §1.5, §3.6): N active deposits with one period due, one run.

For each N the database is emptied, N confirmed deposits (5 levels per user, one active session) are
seeded set-based, and one calculator run accrues the due period of every deposit. Printed per N:
accruals/s, batches, SQL statements per batch (constant as N grows: the calculator is set-based) and
where the time goes (statement time in the database driver vs Python).

    .venv/bin/python benchmarks/bench_rewards.py                    # PostgreSQL 10k, 100k + SQLite 100k
    .venv/bin/python benchmarks/bench_rewards.py --sizes 10000,100000,1000000 --backends postgresql
    BENCH_REWARDS_PG_URL=postgresql+asyncpg://…/db .venv/bin/python benchmarks/bench_rewards.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from sigmatrade.app import prepare_database
from sigmatrade.config import load_config
from sigmatrade.db.session import Database
from sigmatrade.logging import setup_logging
from sigmatrade.services.rewards.engine import BATCH, BATCH_SQLITE, RewardRules, accrue

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/sigmatrade_bench_rewards"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = 86_400


async def ensure_pg_database(url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgresql+asyncpg", "postgresql") + "/postgres"
    conn = await asyncpg.connect(admin)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def fresh(url: str) -> Database:
    db = Database(url)
    if db.dialect == "postgresql":
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await prepare_database(db, load_config(_env_file=None, database_url=url, environment="test"))
    return db


async def seed_pg(db: Database, n: int) -> None:
    users = (n + 4) // 5
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (id, telegram_id, wallet_address, wallet_address_lc, referral_code,"
                " finpass_hash, finpass_failed_attempts, finpass_updated_at, is_verified, is_banned,"
                " earnings_blocked, is_unreachable, accrual_notifications, created_at, updated_at)"
                " SELECT g, 1000000 + g, '0x' || lpad(to_hex(g), 40, '0'), '0x' || lpad(to_hex(g), 40, '0'),"
                " 'B' || g, 'x', 0, :t, true, false, false, false, false, :t, :t"
                " FROM generate_series(1, :u) g"
            ),
            {"t": T0, "u": users},
        )
        await conn.execute(
            text(
                "INSERT INTO ledger_accounts (code, kind, user_id, balance, created_at)"
                " SELECT 'user:' || g || CAST(:suffix AS text), 'user_available', g, 0, :t FROM generate_series(1, :u) g"
            ),
            {"t": T0, "u": users, "suffix": ":available"},
        )
        await conn.execute(
            text(
                "INSERT INTO deposits (user_id, level, amount, cap_amount, status, source, expires_at,"
                " received_amount, accrued_total, accrual_period_seconds, confirmed_at, created_at, updated_at)"
                " SELECT (g - 1) / 5 + 1, (g - 1) % 5 + 1, 10 * ((g - 1) % 5 + 1),"
                " CASE WHEN (g - 1) % 5 = 0 THEN 50 END, 'confirmed', 'user', :t, 10 * ((g - 1) % 5 + 1), 0,"
                " :p, :t, :t, :t FROM generate_series(1, :n) g"
            ),
            {"t": T0, "n": n, "p": DAY},
        )
        await conn.execute(text("ANALYZE"))


async def seed_sqlite(db: Database, n: int) -> None:
    users = (n + 4) // 5
    t = T0.replace(tzinfo=None).isoformat(sep=" ")
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (id, telegram_id, wallet_address, wallet_address_lc, referral_code,"
                " finpass_hash, finpass_failed_attempts, finpass_updated_at, is_verified, is_banned,"
                " earnings_blocked, is_unreachable, accrual_notifications, created_at, updated_at)"
                " VALUES (:i, :tg, :w, :w, :c, 'x', 0, :t, 1, 0, 0, 0, 0, :t, :t)"
            ),
            [
                {"i": i, "tg": 1_000_000 + i, "w": f"0x{i:040x}", "c": f"B{i}", "t": t}
                for i in range(1, users + 1)
            ],
        )
        await conn.execute(
            text(
                "INSERT INTO ledger_accounts (code, kind, user_id, balance, created_at)"
                " VALUES (:c, 'user_available', :i, '0', :t)"
            ),
            [{"c": f"user:{i}:available", "i": i, "t": t} for i in range(1, users + 1)],
        )
        await conn.execute(
            text(
                "INSERT INTO deposits (user_id, level, amount, cap_amount, status, source, expires_at,"
                " received_amount, accrued_total, accrual_period_seconds, confirmed_at, created_at, updated_at)"
                " VALUES (:u, :l, :a, :c, 'confirmed', 'user', :t, :a, '0', :p, :t, :t, :t)"
            ),
            [
                {
                    "u": g // 5 + 1,
                    "l": g % 5 + 1,
                    "a": str(10 * (g % 5 + 1)),
                    "c": "50" if g % 5 == 0 else None,
                    "t": t,
                    "p": DAY,
                }
                for g in range(n)
            ],
        )


async def add_session(db: Database) -> None:
    from sigmatrade.db.models import RewardSession

    async with db.transaction() as session:
        session.add(
            RewardSession(
                name="bench",
                starts_at=T0,
                ends_at=T0 + timedelta(days=30),
                is_active=True,
                **{f"rate_level_{i}": Decimal("1.117") for i in range(1, 6)},
            )
        )


class StatementCounter:
    def __init__(self, db: Database) -> None:
        self.calls: Counter[str] = Counter()
        self.times: Counter[str] = Counter()
        self.seconds = 0.0
        self._started: list[float] = []
        sync = db.engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._before)
        event.listen(sync, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        self._started.append(time.perf_counter())
        self._name = " ".join(statement.split()[:3])
        self.calls[self._name] += 1

    def _after(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        spent = time.perf_counter() - self._started.pop()
        self.seconds += spent
        self.times[self._name] += spent

    def reset(self) -> None:
        self.calls.clear()
        self.seconds = 0.0


async def bench(url: str, n: int) -> dict[str, Any]:
    db = await fresh(url)
    try:
        started = time.perf_counter()
        if db.dialect == "postgresql":
            await seed_pg(db, n)
        else:
            await seed_sqlite(db, n)
        await add_session(db)
        seeded = time.perf_counter() - started
        counter = StatementCounter(db)
        started = time.perf_counter()
        result = await accrue(db, RewardRules(), T0 + timedelta(seconds=DAY))
        elapsed = time.perf_counter() - started
        statements = sum(counter.calls.values())
        assert result.accruals == n, f"expected {n} accruals, got {result.accruals}"
        return {
            "backend": db.dialect,
            "n": n,
            "seed_s": seeded,
            "run_s": elapsed,
            "rate": n / elapsed,
            "batches": result.batches,
            "per_batch": statements / max(result.batches, 1),
            "sql_s": counter.seconds,
            "breakdown": [(name, count, counter.times[name]) for name, count in counter.calls.most_common()],
        }
    finally:
        await db.dispose()


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000", help="PostgreSQL sizes, comma separated")
    parser.add_argument("--sqlite-sizes", default="100000")
    parser.add_argument("--backends", default="postgresql,sqlite")
    args = parser.parse_args()
    setup_logging("ERROR", "console")
    pg_url = os.environ.get("BENCH_REWARDS_PG_URL", DEFAULT_PG)
    runs: list[tuple[str, int]] = []
    backends = args.backends.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="bench-rewards-"))
    if "postgresql" in backends:
        await ensure_pg_database(pg_url)
        runs += [(pg_url, int(s)) for s in args.sizes.split(",") if s]
    if "sqlite" in backends:
        runs += [
            (f"sqlite+aiosqlite:///{tmp / f'bench-{s}.db'}", int(s))
            for s in args.sqlite_sizes.split(",")
            if s
        ]
    print(f"reward calculator: one period due per deposit, batch size {BATCH} (SQLite {BATCH_SQLITE})")
    print(
        f"{'backend':<11}{'deposits':>10}{'run s':>9}{'accruals/s':>12}{'batches':>9}{'stmts/batch':>13}{'in SQL':>8}"
    )
    for url, n in runs:
        r = await bench(url, n)
        print(
            f"{r['backend']:<11}{r['n']:>10,}{r['run_s']:>9.2f}{r['rate']:>12,.0f}{r['batches']:>9}"
            f"{r['per_batch']:>13.1f}{r['sql_s'] / r['run_s']:>8.0%}",
            flush=True,
        )
        detail = ", ".join(f"{name} ×{count} {spent:.2f}s" for name, count, spent in r["breakdown"])
        print(f"           statements: {detail}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
