"""Deposit watcher throughput and confirmation latency against a local anvil node (SPEC §4.3–§4.4).

1. Log-scan throughput: BENCH_CHAIN_TRANSFERS deposits spread over BENCH_CHAIN_BLOCKS blocks, then one
   watcher scan from the cursor to the head (eth_getLogs in adaptive chunks, detections recorded and
   users told) → blocks/s and transfers/s. (anvil mines ever slower as its chain grows: 10,000 blocks
   keep the whole run near a minute.)
2. Confirmation latency: for BENCH_CHAIN_SAMPLES deposits, the time from mining the block that gives
   the N-th confirmation to the user's "Deposit confirmed" message arriving at the Bot API emulator,
   with one monitor pass started right after the block (production adds up to
   CHAIN_POLL_INTERVAL_SECONDS of polling delay on top).

    .venv/bin/python benchmarks/bench_chain.py                       # SQLite
    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/sigmatrade_bench \\
        .venv/bin/python benchmarks/bench_chain.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sigmatrade import clock
from sigmatrade.chain.accounts import Account, LocalAccount
from sigmatrade.chain.confirmations import confirm_pass
from sigmatrade.db.models import Deposit, User
from sigmatrade.domain.enums import DepositSource, DepositStatus
from sigmatrade.jobs.tasks import blockchain_monitor
from sigmatrade.ledger.accounts import create_user_accounts
from sigmatrade.logging import setup_logging
from sigmatrade.sandbox.chain import LocalChain
from sigmatrade.sandbox.harness import Harness

CONFIRMATIONS = 3
AMOUNT = Decimal(10)


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


async def depositor(h: Harness, chain: LocalChain, n: int) -> tuple[User, LocalAccount]:
    """A registered user with a funded wallet, an open chat in the emulator and a pending deposit."""
    account: LocalAccount = Account.create()
    telegram_id = 515_000 + n
    h.user(telegram_id, "Bench", language_code="en").user.started = True
    now = clock.now()
    async with h.rt.db.transaction() as session:
        user = User(
            telegram_id=telegram_id,
            first_name=f"Bench{n}",
            language="en",
            wallet_address=account.address,
            wallet_address_lc=account.address.lower(),
            referral_code=f"B{n:07d}",
            finpass_hash="bench",
            finpass_updated_at=now,
            is_verified=True,
            verified_at=now,
        )
        session.add(user)
        await session.flush()
        await create_user_accounts(session, user.id)
        session.add(
            Deposit(
                user_id=user.id,
                level=1,
                amount=AMOUNT,
                cap_amount=AMOUNT * 2,
                status=DepositStatus.PENDING,
                source=DepositSource.USER,
                expires_at=now + timedelta(hours=24),
                accrued_total=Decimal(0),
                created_at=now,
                updated_at=now,
            )
        )
    await chain.fund(account.address, usdt=AMOUNT)
    return user, account


async def main() -> int:
    setup_logging("ERROR", "console")
    transfers = int(os.environ.get("BENCH_CHAIN_TRANSFERS", "100"))
    blocks = int(os.environ.get("BENCH_CHAIN_BLOCKS", "10000"))
    samples_wanted = int(os.environ.get("BENCH_CHAIN_SAMPLES", "20"))
    url = os.environ.get("BENCH_DATABASE_URL")
    workdir = Path(tempfile.mkdtemp(prefix="sigmatrade-bench-chain-"))
    if url:
        await prepare_pg(url)
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    async with LocalChain() as chain:
        token = await chain.deploy_token()
        system = Account.create().address
        settings: dict[str, Any] = {
            "bsc_rpc_urls": chain.url,
            "chain_id": chain.chain_id,
            "usdt_contract_address": token,
            "system_wallet_address": system,
            "confirmation_blocks": CONFIRMATIONS,
            "chain_start_block": await chain.block_number() + 1,
            "default_language": "en",
        }
        h = Harness(url, **settings)
        await h.start()
        try:
            watcher = blockchain_monitor.watcher_for(h.rt)
            assert watcher is not None, "chain runtime not enabled"
            await watcher.scan()  # cursor initialised at the start block

            # ---- 1. log-scan throughput
            payers = [await depositor(h, chain, n) for n in range(transfers)]
            gap = max(1, blocks // transfers)
            head_before = await chain.block_number()
            for _, account in payers:
                await chain.transfer(account, system, chain.raw(AMOUNT))
                if gap > 1:
                    await chain.mine(gap - 1)
            span = await chain.block_number() - head_before
            started = time.perf_counter()
            scanned, detected, ranges = 0, 0, 0
            while True:
                result = await watcher.scan()
                scanned += result.blocks
                detected += result.matched
                ranges += result.ranges
                if result.caught_up:
                    break
            scan_s = time.perf_counter() - started
            assert detected == transfers, f"detected {detected} of {transfers}"
            confirm_started = time.perf_counter()
            confirmed = await confirm_pass(h.rt, watcher.provider, watcher.config)
            confirm_s = time.perf_counter() - confirm_started
            assert confirmed.confirmed == transfers, confirmed

            # ---- 2. N-th confirmation → user's notification
            latencies: list[float] = []
            for n in range(samples_wanted):
                user, account = await depositor(h, chain, transfers + n)
                await chain.transfer(account, system, chain.raw(AMOUNT))
                await blockchain_monitor.monitor_once(h.rt, watcher)  # detected
                await chain.mine(CONFIRMATIONS - 1)
                client = h.user(user.telegram_id)
                waiter = asyncio.create_task(client.wait_message("Deposit confirmed", timeout=20))
                await asyncio.sleep(0)
                await chain.mine(1)  # the N-th confirmation
                t0 = time.perf_counter()
                await blockchain_monitor.monitor_once(h.rt, watcher)
                await waiter
                latencies.append(time.perf_counter() - t0)
        finally:
            await h.stop()
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"deposit watcher against anvil ({backend}, {CONFIRMATIONS} confirmations):")
    print(
        f"  log scan: {span} blocks, {transfers} transfers in {ranges} ranges, {scan_s:.2f} s → "
        f"{span / scan_s:,.0f} blocks/s, {transfers / scan_s:,.1f} transfers/s (detections recorded, users told)"
    )
    print(
        f"  confirmation pass: {transfers} transfers in {confirm_s:.2f} s → "
        f"{transfers / confirm_s:,.1f} confirmations/s (receipts, ledger, notifications)"
    )
    print(
        f"  N-th confirmation → user notified ({len(latencies)} deposits, pass started at once): "
        f"p50 {pct(latencies, 50):.1f} ms   p95 {pct(latencies, 95):.1f} ms   "
        f"max {max(latencies) * 1000:.1f} ms   mean {statistics.mean(latencies) * 1000:.1f} ms"
    )
    print("  in production add up to CHAIN_POLL_INTERVAL_SECONDS (5 s) of polling delay")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
