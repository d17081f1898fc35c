"""Scenario 22 against anvil (SPEC §4.3.2–4): the watcher is down while 10,000 blocks with transfers are
mined; the only endpoint refuses ``eth_getLogs`` ranges wider than 200 blocks. After a restart the chunk
shrinks (persisted), a scan cut short by its time budget leaves its cursor in the database, and the next
process resumes from it: every transfer detected and credited exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from sigmatrade.chain.runtime import DEPOSIT_CURSOR
from sigmatrade.db.models import ChainCursor, ChainTransfer, Deposit, JournalEntry
from sigmatrade.domain.enums import DepositStatus
from sigmatrade.jobs.tasks import blockchain_monitor
from sigmatrade.sandbox.chain import LocalChain
from sigmatrade.sandbox.emulator import BotApiEmulator
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import audit
from tests.chain.rpc_proxy import RpcProxy
from tests.chain.watch_env import CONFIRMATIONS, WatchEnv, new_account, settings_for

pytestmark = pytest.mark.chain
BLOCKS = 10_000
PAYERS = 20
MAX_RANGE = 200


@pytest.fixture(scope="module")
async def chain() -> AsyncIterator[LocalChain]:
    async with LocalChain() as c:
        await c.deploy_token()
        yield c


async def _cursor(env: WatchEnv) -> ChainCursor:
    async with env.rt.db.session() as session:
        row = await session.scalar(select(ChainCursor).where(ChainCursor.name == DEPOSIT_CURSOR))
    assert row is not None
    return row


async def _books_ok(env: WatchEnv) -> None:
    await env.ledger_ok()
    async with env.rt.db.session() as session:
        result = await audit.verify(session)
    assert result.ok, result.render()


async def test_scenario_22_restart_after_10000_blocks_with_a_range_limited_endpoint(
    db_url: str, chain: LocalChain
) -> None:
    emulator = BotApiEmulator()
    await emulator.start()
    proxy = await RpcProxy(chain.url).start()
    system = new_account().address
    settings = settings_for(chain, await chain.block_number() + 1, system, bsc_rpc_urls=proxy.url)
    try:
        first = Harness(db_url, emulator=emulator, **settings)
        await first.start()
        try:
            env = WatchEnv(first, chain, system)
            payers = []
            for _ in range(PAYERS):
                user, wallet = await env.depositor(usdt="10")
                payers.append((user, wallet, await env.pending(user, "10")))
            initial = await env.monitor()
            assert initial.scan is not None and initial.scan.caught_up
            start_cursor = (await _cursor(env)).last_block
        finally:
            await first.stop()  # the watcher is down from here on

        before = await chain.block_number()
        for _, wallet, _ in payers:
            await chain.transfer(wallet, system, chain.raw("10"))
            await chain.mine(BLOCKS // PAYERS - 1)
        head = await chain.block_number()
        assert head - before == BLOCKS
        proxy.max_log_range = MAX_RANGE

        # Restart 1: a scan cut short by its time budget. Progress and the shrunk chunk are persisted.
        second = Harness(db_url, emulator=emulator, **settings)
        await second.start()
        try:
            env = WatchEnv(second, chain, system)
            watcher = blockchain_monitor.watcher_for(second.rt, time_budget_seconds=0.3)
            assert watcher is not None
            partial = await watcher.scan()
            assert partial.error is None and partial.start_cursor == start_cursor
            assert partial.cursor is not None and start_cursor < partial.cursor < head
            cursor = await _cursor(env)
            # shrunk from 500 and persisted; it may have grown back once (x2 after 3 successes)
            assert cursor.last_block == partial.cursor and cursor.chunk_size in (125, 250)
            assert proxy.range_refusals >= 1
            partly = await env.count(ChainTransfer)
            assert partly < PAYERS
        finally:
            await second.stop()

        # Restart 2: resumes at the persisted cursor and chunk, reaches the head, credits everything once.
        refusals = proxy.range_refusals
        third = Harness(db_url, emulator=emulator, **settings)
        await third.start()
        try:
            env = WatchEnv(third, chain, system)
            scans = []
            for _ in range(5):
                result = await env.monitor()
                assert result.scan is not None and result.scan.error is None, result
                scans.append(result.scan)
                if result.scan.caught_up:
                    break
            assert scans[0].start_cursor == partial.cursor
            assert scans[-1].caught_up and scans[-1].cursor == head
            assert sum(s.matched for s in scans) == PAYERS - partly
            # growth (x2 after 3 successes) beyond the limit is refused and halved again: the stored
            # chunk never returns to the initial 500
            assert (await _cursor(env)).chunk_size in (125, 250)
            assert proxy.range_refusals > refusals
            # range refusals are not endpoint failures
            assert third.rt.chain is not None
            (status,) = third.rt.chain.provider.status()
            assert status.state == "healthy" and status.consecutive_failures == 0

            await env.mine_and_monitor(CONFIRMATIONS)
            again = await env.monitor()
            assert again.scan is not None and again.scan.recorded == 0
            assert await env.count(ChainTransfer) == PAYERS
            assert await env.count(Deposit, Deposit.status == DepositStatus.CONFIRMED) == PAYERS
            assert await env.count(JournalEntry, JournalEntry.idempotency_key.like("deposit:%")) == PAYERS
            for user, _, deposit in payers:
                assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
                assert (await env.balances(user)).principal == Decimal(10)
                assert sum("Deposit confirmed" in text for text in env.texts(user)) == 1
            await _books_ok(env)
        finally:
            await third.stop()
    finally:
        await proxy.stop()
        await emulator.stop()
    assert not emulator.rejected()
