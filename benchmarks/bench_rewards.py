"""Reward calculator throughput (SPEC §1.5, §3.6): N active deposits with one period due, one run.

For each N the database is emptied, N confirmed deposits (5 levels per user, one active session) are
seeded set-based, and one calculator run accrues the due period of every deposit. Printed per N:
accruals/s, µs per accrual, batches, SQL statements per batch (constant as N grows: the calculator is
set-based) and where the time goes: statement time in the database driver vs Python, and with
``--explain`` (PostgreSQL) the first batch under ``EXPLAIN (ANALYZE, WAL)`` in a rolled-back
transaction, split per accrual into foreign-key checks (per constraint), row writes per table (heap,
indexes, CHECKs) and the rest (loading, planning, ids, sorting, row locks), plus WAL bytes.

    .venv/bin/python benchmarks/bench_rewards.py                    # PostgreSQL 10k, 100k + SQLite 100k
    .venv/bin/python benchmarks/bench_rewards.py --sizes 10000,100000,1000000 --backends postgresql
    .venv/bin/python benchmarks/bench_rewards.py --sizes 100000 --backends postgresql --explain
    .venv/bin/python benchmarks/bench_rewards.py --plan python      # the Python plan on PostgreSQL too
    .venv/bin/python benchmarks/bench_rewards.py --check            # seed principals, `ledger check` after
    BENCH_REWARDS_PG_URL=postgresql+asyncpg://…/db .venv/bin/python benchmarks/bench_rewards.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

from sqlalchemy import event, text, update

from sigmatrade.app import prepare_database
from sigmatrade.config import load_config
from sigmatrade.db.models import LedgerAccount
from sigmatrade.db.session import Database
from sigmatrade.ledger.check import run_check
from sigmatrade.logging import setup_logging
from sigmatrade.services.rewards import pg_batch
from sigmatrade.services.rewards.engine import (
    BATCH,
    BATCH_SQLITE,
    MAX_ACCRUALS_PER_BATCH,
    RewardRules,
    accrue,
)

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


async def seed_principals(db: Database) -> None:
    """What confirming the deposits would have posted (``deposit_confirmed``: deposits received →
    the user's principal), set-based, so that ``ledger check`` can pass after the run (``--check``)."""
    received = "system:deposits_received"
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO ledger_accounts (code, kind, user_id, balance, created_at)"
                " SELECT 'user:' || u.id || CAST(:suffix AS text), 'user_principal', u.id, '0', u.created_at"
                " FROM users u"
            ),
            {"suffix": ":principal"},
        )
        await conn.execute(
            text(
                "INSERT INTO journal_entries (idempotency_key, entry_type, reference_type, reference_id, created_at)"
                " SELECT 'deposit:seed-' || d.id || CAST(:suffix AS text), 'deposit_confirmed', 'deposit', d.id,"
                " d.created_at FROM deposits d ORDER BY d.id"
            ),
            {"suffix": ":confirm"},
        )
        # the debit: minus the amount, as numeric on PostgreSQL and as text on SQLite (money is text there)
        minus = "-d.amount" if db.dialect == "postgresql" else "'-' || d.amount"
        debit = f"(SELECT id FROM ledger_accounts WHERE code = '{received}')"
        for account, amount in ((debit, minus), ("p.id", "d.amount")):
            await conn.execute(
                text(
                    "INSERT INTO ledger_postings (entry_id, account_id, amount, created_at)"
                    f" SELECT e.id, {account}, {amount}, d.created_at FROM journal_entries e"
                    " JOIN deposits d ON d.id = e.reference_id AND e.entry_type = 'deposit_confirmed'"
                    " JOIN ledger_accounts p ON p.user_id = d.user_id AND p.kind = 'user_principal'"
                )
            )
    # balances: exact sums in Python (SQLite stores money as text)
    async with db.transaction() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT p.account_id, p.amount FROM ledger_postings p JOIN journal_entries e"
                    " ON e.id = p.entry_id WHERE e.entry_type = 'deposit_confirmed'"
                )
            )
        ).all()
        totals: dict[int, Decimal] = {}
        for account_id, amount in rows:
            totals[account_id] = totals.get(account_id, Decimal(0)) + Decimal(str(amount))
        for account_id, total in totals.items():
            await session.execute(
                update(LedgerAccount).where(LedgerAccount.id == account_id).values(balance=total)
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


def _nodes(node: dict[str, Any]) -> Any:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


async def explain_first_batch(db: Database, batch: int) -> dict[str, Any]:
    """The first batch's statement under EXPLAIN ANALYZE, rolled back: time per part, per accrual."""
    params = pg_batch.parameters(
        T0 + timedelta(seconds=DAY),
        after_id=0,
        limit=batch,
        only_session=None,
        max_accruals=MAX_ACCRUALS_PER_BATCH,
        request_id=None,
    )
    async with db.session() as session, session.begin():
        await session.execute(text("SELECT set_config('jit', 'off', true)"))
        wal_before = await session.scalar(text("SELECT pg_current_wal_insert_lsn()"))
        raw = await session.scalar(
            text("EXPLAIN (ANALYZE, BUFFERS, WAL, FORMAT JSON) " + pg_batch.BATCH_SQL), params
        )
        wal_after = await session.scalar(text("SELECT pg_current_wal_insert_lsn()"))
        await session.rollback()
    [report] = json.loads(raw) if isinstance(raw, str) else raw
    plan = report["Plan"]
    accruals = next(
        n["Actual Rows"]
        for n in _nodes(plan)
        if n["Node Type"] == "ModifyTable" and n.get("Relation Name") == "reward_accruals"
    )
    parts: dict[str, float] = {}
    for node in _nodes(plan):
        children = sum(c["Actual Total Time"] * c["Actual Loops"] for c in node.get("Plans", []))
        own = node["Actual Total Time"] * node["Actual Loops"] - children
        if node["Node Type"] == "ModifyTable":
            parts[f"{node['Operation'].lower()} {node['Relation Name']}"] = own
    triggers: dict[str, float] = {}
    for trigger in report["Triggers"]:
        table = trigger["Relation"]
        name = trigger.get("Constraint Name", trigger["Trigger Name"]).removeprefix(f"fk_{table}_")
        triggers[f"{table}.{name}"] = trigger["Time"]
    total = report["Execution Time"]
    rest = total - sum(parts.values()) - sum(triggers.values())
    return {
        "accruals": accruals,
        "total_ms": total,
        "parts": parts,
        "triggers": triggers,
        "rest_ms": rest,
        "wal": int(wal_after) - int(wal_before),
    }


def _explained(e: dict[str, Any]) -> str:
    n = max(e["accruals"], 1)
    us = 1000 / n
    fk = sum(e["triggers"].values())
    writes = sum(e["parts"].values())
    lines = [
        f"           first batch in the database ({n:,} accruals, EXPLAIN ANALYZE, rolled back): "
        f"{e['total_ms']:.0f} ms = {e['total_ms'] * us:.1f} µs per accrual, WAL {e['wal'] / n:,.0f} bytes per accrual",
        f"             foreign-key checks {fk * us:.1f} µs: "
        + ", ".join(f"{k} {v * us:.1f}" for k, v in e["triggers"].items()),
        f"             row writes {writes * us:.1f} µs: "
        + ", ".join(f"{k} {v * us:.1f}" for k, v in e["parts"].items()),
        f"             the rest (load, plan, ids, sorts, row locks) {e['rest_ms'] * us:.1f} µs",
    ]
    return "\n".join(lines)


async def bench(
    url: str, n: int, *, sql_plan: bool, batch: int | None, explain: bool, check: bool
) -> dict[str, Any]:
    db = await fresh(url)
    try:
        started = time.perf_counter()
        if db.dialect == "postgresql":
            await seed_pg(db, n)
        else:
            await seed_sqlite(db, n)
        if check:
            await seed_principals(db)
        await add_session(db)
        seeded = time.perf_counter() - started
        explained = None
        if explain and sql_plan and db.dialect == "postgresql":
            explained = await explain_first_batch(db, batch or BATCH)
        counter = StatementCounter(db)
        started = time.perf_counter()
        result = await accrue(
            db, RewardRules(), T0 + timedelta(seconds=DAY), batch_size=batch, sql_plan=sql_plan
        )
        elapsed = time.perf_counter() - started
        statements = sum(counter.calls.values())
        sql_s = counter.seconds
        breakdown = [(name, count, counter.times[name]) for name, count in counter.calls.most_common()]
        assert result.accruals == n, f"expected {n} accruals, got {result.accruals}"
        checked = None
        if check:
            async with db.session() as session:
                checked = (await run_check(session)).render().splitlines()
        return {
            "backend": db.dialect,
            "n": n,
            "seed_s": seeded,
            "run_s": elapsed,
            "rate": n / elapsed,
            "batches": result.batches,
            "per_batch": statements / max(result.batches, 1),
            "sql_s": sql_s,
            "breakdown": breakdown,
            "explained": explained,
            "checked": checked,
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
    parser.add_argument(
        "--plan",
        choices=("sql", "python"),
        default="sql",
        help="PostgreSQL: one-statement plan or Python plan",
    )
    parser.add_argument("--batch", type=int, default=None, help="deposits per batch (default: the engine's)")
    parser.add_argument(
        "--explain", action="store_true", help="PostgreSQL: where the first batch's time goes"
    )
    parser.add_argument(
        "--check", action="store_true", help="seed principal entries too and run `ledger check` after the run"
    )
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
    sizes = f"batch size {args.batch}" if args.batch else f"batch size {BATCH} (SQLite {BATCH_SQLITE})"
    print(f"reward calculator: one period due per deposit, {sizes}, PostgreSQL plan: {args.plan}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{'backend':<11}{'deposits':>10}{'run s':>9}{'accruals/s':>12}{'µs/accrual':>12}{'batches':>9}"
        f"{'stmts/batch':>13}{'in SQL':>8}{'Python µs':>11}"
    )
    for url, n in runs:
        r = await bench(
            url, n, sql_plan=args.plan == "sql", batch=args.batch, explain=args.explain, check=args.check
        )
        python_us = (r["run_s"] - r["sql_s"]) / n * 1e6
        print(
            f"{r['backend']:<11}{r['n']:>10,}{r['run_s']:>9.2f}{r['rate']:>12,.0f}{r['run_s'] / n * 1e6:>12.1f}"
            f"{r['batches']:>9}{r['per_batch']:>13.1f}{r['sql_s'] / r['run_s']:>8.0%}{python_us:>11.1f}",
            flush=True,
        )
        detail = ", ".join(f"{name} ×{count} {spent:.2f}s" for name, count, spent in r["breakdown"])
        print(f"           statements: {detail}")
        if r["explained"]:
            print(_explained(r["explained"]))
        if r["checked"]:
            failed = [line for line in r["checked"] if "[FAIL]" in line or line.startswith("result")]
            print(f"           ledger check after the run: {r['checked'][0]}; {'; '.join(failed)}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
