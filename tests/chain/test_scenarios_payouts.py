"""SPEC §12 payout-sender scenarios against anvil, filling what tests/chain/test_payouts.py leaves open:
25 (payouts continue on the second endpoint while the first answers HTTP 500), 26 (decimals mismatch:
the payment jobs and the watcher do nothing — no nonce, no transaction, no detection), 47 (an RPC error
during the pre-checks → PaymentRetry of kind ``rpc``, no nonce used; recovery on the retry, and the
full 1/2/4/8/16-minute ladder into the DLQ with one alert)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from sigmatrade import clock
from sigmatrade.app import build_runtime
from sigmatrade.chain.runtime import ChainRuntime, TokenCheck, active_chain, start_chain, stop_chain
from sigmatrade.config import Config
from sigmatrade.db.models import ChainTransfer, PaymentRetry, PayoutTransaction, WalletNonce
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import PayoutStatus, RetryErrorKind
from sigmatrade.jobs.scheduler import JobContext
from sigmatrade.jobs.tasks import blockchain_monitor, payment_processor, payment_retry
from sigmatrade.ledger import accounts
from sigmatrade.runtime import Runtime
from sigmatrade.sandbox.chain import LocalChain
from sigmatrade.services import audit
from tests.chain.payout_worker import open_runtime
from tests.chain.rpc_proxy import RpcProxy
from tests.chain.test_payouts import (
    CONFIRMATIONS,
    Env,
    approved_payout,
    balance,
    count,
    ledger_ok,
    notifications,
    payout_row,
    payout_settings,
    reconciled,
    setup_wallet,
)

pytestmark = pytest.mark.chain


@pytest.fixture(scope="module")
async def chain() -> AsyncIterator[LocalChain]:
    async with LocalChain() as c:
        await c.deploy_token()
        yield c


async def _books_ok(db: Database) -> None:
    await ledger_ok(db)
    async with db.session() as session:
        result = await audit.verify(session)
    assert result.ok, result.render()


async def _retry(db: Database, payout_id: int) -> PaymentRetry:
    async with db.session() as session:
        row = await session.scalar(select(PaymentRetry).where(PaymentRetry.payout_id == payout_id))
    assert row is not None
    return row


# ---------------------------------------------------------------------------------------------- 25


async def test_scenario_25_payouts_continue_on_the_second_endpoint(db_url: str, chain: LocalChain) -> None:
    bad = await RpcProxy(chain.url).start()
    good = await RpcProxy(chain.url).start()
    try:
        settings = payout_settings(db_url, chain, bsc_rpc_urls=f"{bad.url},{good.url}")
        async with open_runtime(settings) as (rt, chain_rt):
            env = Env(rt, chain_rt, chain, await setup_wallet(rt, chain))
            user_id, payout_id, receiver = await approved_payout(env.db, "8.5")
            bad.set_mode("http_500")
            assert (await env.sender().run()).sent == [payout_id]
            await env.mine()
            assert (await env.sender().run()).confirmed == [payout_id]
            assert good.count("eth_sendRawTransaction") == 1 and bad.count("eth_sendRawTransaction") <= 1
            assert good.count("eth_getTransactionReceipt") >= 1 and bad.count() > 0
            first, second = chain_rt.provider.status()
            assert first.last_error and first.success_ratio < 1 and second.state == "healthy"
            assert await env.chain.balance_of(receiver) == env.chain.raw("8.5")
            assert (await payout_row(env.db, payout_id)).status == PayoutStatus.CONFIRMED
            assert await count(env.db, PayoutTransaction) == 1
            assert await balance(env.db, accounts.held(user_id)) == 0
            await _books_ok(env.db)
            await reconciled(env)  # §4.7: the chain agrees with the books
    finally:
        await bad.stop()
        await good.stop()


# ---------------------------------------------------------------------------------------------- 26


@asynccontextmanager
async def _runtime(settings: Config) -> AsyncIterator[tuple[Runtime, ChainRuntime]]:
    """A jobs-only runtime whose chain runtime may stay disabled (``open_runtime`` requires it on)."""
    rt = await build_runtime(settings)
    db = rt.db
    try:
        chain = await start_chain(rt, timeout=5)
        assert isinstance(chain, ChainRuntime)
        yield rt, chain
    finally:
        await stop_chain(rt)
        await db.dispose()


async def test_scenario_26_decimals_mismatch_leaves_payouts_and_deposits_untouched(
    db_url: str, chain: LocalChain
) -> None:
    address, keep = chain.token_address, chain.token_decimals
    try:
        token6 = await chain.deploy_token(6)
    finally:
        chain.token_address, chain.token_decimals = address, keep
    settings = payout_settings(db_url, chain, usdt_contract_address=token6)
    async with _runtime(settings) as (rt, chain_rt):
        assert chain_rt.token_check == TokenCheck.MISMATCH and active_chain(rt) is None
        wallet = await setup_wallet(rt, chain)
        user_id, payout_id, receiver = await approved_payout(rt.db, "5")
        assert blockchain_monitor.watcher_for(rt) is None
        for job in (payment_processor, payment_retry):
            ctx = JobContext(rt, job.NAME, clock.now(), f"req-{job.NAME}")
            await job.run(ctx)
            assert ctx.details == {"skipped": "chain disabled"}
        assert (await blockchain_monitor.monitor_once(rt)).scan is None
        row = await payout_row(rt.db, payout_id)
        assert row.status == PayoutStatus.APPROVED and row.nonce is None and row.tx_hash is None
        assert await count(rt.db, PayoutTransaction) == 0 and await count(rt.db, WalletNonce) == 0
        assert await count(rt.db, ChainTransfer) == 0
        assert await chain.balance_of(receiver) == 0
        assert int(await chain.rpc.call("eth_getTransactionCount", wallet.address, "latest"), 16) == 0
        alerts = await notifications(rt.db, "admin_alert")
        assert len(alerts) == 1 and "decimals" in alerts[0] and token6 in alerts[0]
        assert await balance(rt.db, accounts.held(user_id)) == Decimal(5)
        await _books_ok(rt.db)


# ---------------------------------------------------------------------------------------------- 47


async def test_scenario_47_rpc_errors_in_prechecks_retry_then_dead_letter(
    db_url: str, chain: LocalChain
) -> None:
    proxy = await RpcProxy(chain.url).start()
    try:
        async with open_runtime(payout_settings(db_url, chain, bsc_rpc_urls=proxy.url)) as (rt, chain_rt):
            env = Env(rt, chain_rt, chain, await setup_wallet(rt, chain))
            _, recovers, receiver = await approved_payout(env.db, "7")
            # a request-level error on eth_gasPrice: not an endpoint failure, the pre-check fails
            proxy.fail_method("eth_gasPrice", -32000, "gas price oracle unavailable")
            assert (await env.sender().run()).failed == [(recovers, RetryErrorKind.RPC)]
            retry = await _retry(env.db, recovers)
            assert retry.attempt_count == 0 and retry.error_kind == RetryErrorKind.RPC and not retry.in_dlq
            assert retry.next_retry_at is not None
            assert timedelta(seconds=55) < retry.next_retry_at - clock.now() <= timedelta(minutes=1)
            row = await payout_row(env.db, recovers)
            assert row.status == PayoutStatus.APPROVED and row.nonce is None
            assert await count(env.db, PayoutTransaction) == 0 and proxy.count("eth_sendRawTransaction") == 0
            assert (await env.sender().run()).failed == []  # the waiting retry row is skipped

            # the endpoint recovers: the retry job sends it when due
            proxy.clear_errors()
            clock.travel(timedelta(minutes=1, seconds=1))
            assert (await env.sender().run(retries_only=True)).sent == [recovers]
            await env.mine()
            assert (await env.sender().run()).confirmed == [recovers]
            assert (await _retry(env.db, recovers)).resolved
            assert await env.chain.balance_of(receiver) == env.chain.raw("7")

            # failing on every retry: 1, 2, 4, 8, 16 minutes, then the DLQ and one admin alert
            _, stuck, other = await approved_payout(env.db, "6")
            proxy.fail_method("eth_gasPrice", -32000, "gas price oracle unavailable")
            assert (await env.sender().run()).failed == [(stuck, RetryErrorKind.RPC)]
            for attempt, delay in enumerate([1, 2, 4, 8, 16], start=1):
                clock.travel(timedelta(minutes=delay) - timedelta(seconds=5))
                assert (await env.sender().run(retries_only=True)).failed == []  # not due yet
                clock.travel(timedelta(seconds=6))
                report = await env.sender().run(retries_only=True)
                assert report.failed == [(stuck, RetryErrorKind.RPC)]
                assert (await _retry(env.db, stuck)).attempt_count == attempt
            assert report.dead_lettered == [stuck]
            retry = await _retry(env.db, stuck)
            assert retry.in_dlq and retry.next_retry_at is None
            row = await payout_row(env.db, stuck)
            assert row.dead_lettered and row.status == PayoutStatus.APPROVED and row.nonce is None
            alerts = [a for a in await notifications(env.db, "admin_alert") if f"#{stuck}" in a]
            assert len(alerts) == 1 and "dead-letter" in alerts[0]
            proxy.clear_errors()
            clock.travel(timedelta(hours=1))
            assert (await env.sender().run(retries_only=True)).sent == []
            assert (await env.sender().run()).sent == []  # the DLQ waits for an admin
            assert await env.chain.balance_of(other) == 0 and await count(env.db, PayoutTransaction) == 1
            await _books_ok(env.db)
            await reconciled(env)  # §4.7: the chain agrees with the books
    finally:
        await proxy.stop()


# ---------------------------------------------------------------------------------------------- 51


async def test_scenario_51_ten_payouts_consecutive_nonces_five_in_flight(
    db_url: str, chain: LocalChain
) -> None:
    async with open_runtime(payout_settings(db_url, chain)) as (rt, chain_rt):
        env = Env(rt, chain_rt, chain, await setup_wallet(rt, chain))
        payouts = [await approved_payout(env.db, str(5 + i)) for i in range(10)]
        ids = [p[1] for p in payouts]
        await env.chain.set_automine(False)
        try:
            assert (await env.sender().run()).sent == ids[:5]
            assert (await env.sender().run()).sent == []  # five in flight: nothing more
            await env.mine(1 + CONFIRMATIONS)
            second = await env.sender().run()
            assert second.confirmed == ids[:5] and second.sent == ids[5:]
            await env.mine(1 + CONFIRMATIONS)
            assert (await env.sender().run()).confirmed == ids[5:]
        finally:
            await env.chain.set_automine(True)
        rows = [await payout_row(env.db, payout_id) for payout_id in ids]
        assert [r.nonce for r in rows] == list(range(10))
        assert all(r.status == PayoutStatus.CONFIRMED for r in rows)
        assert await count(env.db, PayoutTransaction) == 10
        for i, (_, _, receiver) in enumerate(payouts):
            assert await env.chain.balance_of(receiver) == env.chain.raw(str(5 + i))
        await _books_ok(env.db)
        await reconciled(env)  # §4.7: the chain agrees with the books


# ---------------------------------------------------------------------------------------------- 49


async def test_scenario_49_low_bnb_alert_repeats_after_6_hours_and_top_up_sends(
    db_url: str, chain: LocalChain
) -> None:
    async with open_runtime(payout_settings(db_url, chain)) as (rt, chain_rt):
        env = Env(rt, chain_rt, chain, await setup_wallet(rt, chain))
        await chain.set_native_balance(env.wallet.address, 10**9)  # far below one transfer's gas
        _, payout_id, receiver = await approved_payout(env.db, "7")
        assert (await env.sender().run(monitor=True)).failed == [(payout_id, RetryErrorKind.INSUFFICIENT_GAS)]
        assert len(await notifications(env.db, "admin_alert")) == 1
        for delay in (1, 2, 4, 8):  # every retry still short of gas, checks every 10 min: no new alert
            clock.travel(timedelta(minutes=max(delay, 11)))
            assert (await env.sender().run(retries_only=True, monitor=True)).failed == [
                (payout_id, RetryErrorKind.INSUFFICIENT_GAS)
            ]
        assert len(await notifications(env.db, "admin_alert")) == 1
        assert await count(env.db, WalletNonce) == 0 and await count(env.db, PayoutTransaction) == 0
        clock.travel(timedelta(hours=6))  # still low after 6 h: the alert repeats once
        await env.sender().run(monitor=True)
        alerts = await notifications(env.db, "admin_alert")
        assert len(alerts) == 2 and all("BNB" in a for a in alerts)

        await chain.set_native_balance(env.wallet.address, 10**18)  # topped up
        clock.travel(timedelta(minutes=20))
        report = await env.sender().run(retries_only=True, monitor=True)
        assert report.sent == [payout_id]
        await env.mine()
        assert (await env.sender().run()).confirmed == [payout_id]
        assert await env.chain.balance_of(receiver) == env.chain.raw("7")
        assert (await payout_row(env.db, payout_id)).nonce == 0
        await _books_ok(env.db)
        await reconciled(env)  # §4.7: the chain agrees with the books
