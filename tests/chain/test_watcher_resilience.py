"""Deposit watcher resilience against anvil (SPEC §4.2–§4.3; scenarios 25, 26, 33): downtime catch-up
over 2,000 blocks with 50 deposits after a restart, and RPC failover (dead port, HTTP 5xx)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from sigmatrade import metrics
from sigmatrade.chain.runtime import DEPOSIT_CURSOR
from sigmatrade.db.models import ChainCursor, ChainTransfer, Deposit, JournalEntry
from sigmatrade.domain.enums import DepositStatus
from sigmatrade.sandbox.chain import LocalChain, free_port
from sigmatrade.sandbox.emulator import BotApiEmulator
from sigmatrade.sandbox.harness import Harness
from tests.chain.rpc_proxy import RpcProxy
from tests.chain.watch_env import CONFIRMATIONS, WatchEnv, new_account, settings_for, watch_env

pytestmark = pytest.mark.chain
USERS = 50
BLOCKS = 2000


@pytest.fixture(scope="module")
async def chain() -> AsyncIterator[LocalChain]:
    async with LocalChain() as c:
        await c.deploy_token()
        yield c


def rpc_errors(label: str) -> float:
    total = 0.0
    for family in metrics.rpc_errors.collect():
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels.get("endpoint") == label:
                total += sample.value
    return total


# ---------------------------------------------------------------------------------------------- downtime


async def test_restart_after_2000_blocks_credits_all_50_deposits_once(db_url: str, chain: LocalChain) -> None:
    emulator = BotApiEmulator()
    await emulator.start()
    start = await chain.block_number() + 1
    system = new_account().address
    settings = settings_for(chain, start, system)
    try:
        first = Harness(db_url, emulator=emulator, **settings)
        await first.start()
        env = WatchEnv(first, chain, system)
        payers = []
        for _ in range(USERS):
            user, wallet = await env.depositor(usdt="10")
            deposit = await env.pending(user, "10")
            payers.append((user, wallet, deposit))
        initial = await env.monitor()
        assert initial.scan is not None and initial.scan.caught_up
        await first.stop()  # the watcher is down from here on

        before = await chain.block_number()
        for _, wallet, _ in payers:
            await chain.transfer(wallet, system, chain.raw("10"))
            await chain.mine(BLOCKS // USERS - 1)
        assert await chain.block_number() - before == BLOCKS

        second = Harness(db_url, emulator=emulator, **settings)
        await second.start()
        try:
            env = WatchEnv(second, chain, system)
            result = await env.monitor()
            assert result.scan is not None and result.scan.caught_up and result.scan.matched == USERS
            assert result.scan.blocks >= BLOCKS and result.scan.ranges >= 2
            assert result.confirm is not None and result.confirm.confirmed == USERS
            again = await env.mine_and_monitor(CONFIRMATIONS)
            assert again.scan is not None and again.scan.recorded == 0
            assert again.confirm is not None and again.confirm.confirmed == 0
            assert await env.count(ChainTransfer) == USERS
            assert await env.count(Deposit, Deposit.status == DepositStatus.CONFIRMED) == USERS
            assert await env.count(JournalEntry, JournalEntry.idempotency_key.like("deposit:%")) == USERS
            for user, _, _ in payers:
                assert (await env.balances(user)).principal == Decimal(10)
                assert sum("Deposit confirmed" in text for text in env.texts(user)) == 1
            async with second.rt.db.session() as session:
                cursor = await session.scalar(select(ChainCursor).where(ChainCursor.name == DEPOSIT_CURSOR))
            assert cursor is not None and cursor.last_block == await chain.block_number()
            await env.ledger_ok()
        finally:
            await second.stop()
    finally:
        await emulator.stop()
    assert not emulator.rejected()


# ---------------------------------------------------------------------------------------------- failover


async def _deposit_detected_and_confirmed(env: WatchEnv) -> None:
    payer, wallet = await env.depositor()
    deposit = await env.pending(payer, "10")
    await env.pay(wallet, "10")
    detected = await env.monitor()
    assert detected.scan is not None and detected.scan.matched == 1, detected
    await env.mine_and_monitor(CONFIRMATIONS)
    assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
    assert (await env.balances(payer)).principal == Decimal(10)
    await env.ledger_ok()


async def test_first_endpoint_dead_port_deposits_via_second(db_url: str, chain: LocalChain) -> None:
    dead_port = free_port()  # nothing listens there: connection refused
    dead = f"http://127.0.0.1:{dead_port}"
    label = f"127.0.0.1:{dead_port}"
    errors_before = rpc_errors(label)
    async with watch_env(db_url, chain, bsc_rpc_urls=f"{dead},{chain.url}") as env:
        await _deposit_detected_and_confirmed(env)
        provider = env.rt.chain.provider
        status = {s.label: s for s in provider.status()}
        assert status[label].state != "healthy" or status[label].consecutive_failures > 0
        assert status[label].last_error
        assert rpc_errors(label) > errors_before


async def test_first_endpoint_answering_5xx_deposits_via_second(db_url: str, chain: LocalChain) -> None:
    bad = await RpcProxy(chain.url).start()
    good = await RpcProxy(chain.url).start()
    label = f"127.0.0.1:{bad.port}"
    try:
        async with watch_env(db_url, chain, bsc_rpc_urls=f"{bad.url},{good.url}") as env:
            bad.set_mode("http_500")
            errors_before = rpc_errors(label)
            served_before = good.count("eth_getLogs")
            await _deposit_detected_and_confirmed(env)
            assert good.count("eth_getLogs") > served_before
            assert good.count("eth_getTransactionReceipt") >= 1
            assert bad.count() > 0  # it was tried and failed
            assert rpc_errors(label) > errors_before
            status = {s.label: s for s in env.rt.chain.provider.status()}
            assert status[label].last_error and status[label].success_ratio < 1
    finally:
        await bad.stop()
        await good.stop()
