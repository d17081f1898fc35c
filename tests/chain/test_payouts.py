"""Payout sender against a real local anvil node (SPEC §4.6, §3.7 pipeline, §12 scenarios 47–51):
exact on-chain payment with ledger settlement, low balance, retries and DLQ, reverted transfers,
nonce conflicts, consecutive nonces with the in-flight cap, and the keystore CLI."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode as abi_encode
from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.chain import keystore
from sigmatrade.chain.accounts import Account, LocalAccount
from sigmatrade.chain.payout_sender import CONFLICT_SECOND_LOOK, PayoutSender, RunReport
from sigmatrade.chain.reconcile import Reconciliation
from sigmatrade.chain.runtime import ChainRuntime
from sigmatrade.config import Config, load_config
from sigmatrade.db.models import (
    FailedNotification,
    LedgerAccount,
    PaymentRetry,
    Payout,
    PayoutTransaction,
    SystemSetting,
    WalletKey,
    WalletNonce,
)
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import PayoutStatus, PayoutTxStatus
from sigmatrade.ledger import accounts, entries
from sigmatrade.ledger.check import run_check
from sigmatrade.ledger.journal import post
from sigmatrade.runtime import Runtime
from sigmatrade.sandbox.chain import LocalChain, selector
from sigmatrade.services import settings as settings_service
from tests.chain.payout_worker import open_runtime
from tests.chain.watch_env import reconcile_with_chain
from tests.conftest import REDIS_URL
from tests.factories import credit, make_payout, make_user

pytestmark = pytest.mark.chain
ADMIN = 9100
CONFIRMATIONS = 2
ENCRYPTION_KEY = base64.b64encode(b"k" * 32).decode()


@pytest.fixture(scope="module")
async def chain() -> AsyncIterator[LocalChain]:
    async with LocalChain() as c:
        await c.deploy_token()
        yield c


def payout_settings(db_url: str, chain: LocalChain, **overrides: Any) -> Config:
    values: dict[str, Any] = {
        "_env_file": None,
        "database_url": db_url,
        "environment": "test",
        "bsc_rpc_urls": chain.url,
        "chain_id": chain.chain_id,
        "usdt_contract_address": chain.token_address,
        "confirmation_blocks": CONFIRMATIONS,
        "encryption_key": ENCRYPTION_KEY,
        "super_admin_ids": str(ADMIN),
        "redis_url": REDIS_URL,
        "explorer_base_url": "https://testnet.bscscan.com",
        "default_language": "en",
    }
    values.update(overrides)
    return load_config(**values)


@dataclass
class Env:
    rt: Runtime
    chain_rt: ChainRuntime
    chain: LocalChain
    wallet: LocalAccount
    reconcile_at_end: bool = True  # False only where a test leaves a difference on purpose

    @property
    def db(self) -> Database:
        return self.rt.db

    def sender(self) -> PayoutSender:
        return PayoutSender(self.rt, self.chain_rt)

    async def mine(self, blocks: int = CONFIRMATIONS) -> None:
        await self.chain.mine(blocks)


async def setup_wallet(rt: Runtime, chain: LocalChain, *, usdt: str = "1000") -> LocalAccount:
    """A fresh payout wallet: key in the keystore, configured as payout wallet, funded."""
    wallet: LocalAccount = Account.create()
    async with rt.db.transaction() as session:
        await keystore.store_key(session, keystore.cipher_for(rt.config), wallet.key.hex())
        await settings_service.write(session, "payout.wallet_address", wallet.address, None)
    rt.store.invalidate()
    await chain.fund(wallet.address, usdt=usdt, bnb_wei=10**18)
    return wallet


async def approved_payout(db: Database, amount: str, fee: str = "0") -> tuple[int, int, str]:
    """A user with an approved withdrawal whose amount is held (as the request flow leaves it)."""
    async with db.transaction() as session:
        user = await make_user(session)
        await credit(session, user, Decimal(amount) + Decimal(10))
        payout = await make_payout(
            session, user, Decimal(amount), fee=Decimal(fee), status=PayoutStatus.APPROVED
        )
        await post(session, entries.withdrawal_hold(payout.id, user.id, payout.amount))
        return user.id, payout.id, user.wallet_address


async def payout_row(db: Database, payout_id: int) -> Payout:
    async with db.session() as session:
        row = await session.get(Payout, payout_id)
        assert row is not None
        return row


async def balance(db: Database, code: str) -> Decimal:
    async with db.session() as session:
        value = await session.scalar(select(LedgerAccount.balance).where(LedgerAccount.code == code))
        return value if value is not None else Decimal(0)


async def count(db: Database, model: Any, *where: Any) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def seen_twice(env: Env) -> RunReport:
    """Two sender runs a second look apart: a nonce conflict is declared on the second sighting only
    (``payout_sender.CONFLICT_SECOND_LOOK``); the report of the second run."""
    first = await env.sender().run()
    assert first.dead_lettered == [] and first.rebroadcast == []
    clock.travel(CONFLICT_SECOND_LOOK)
    return await env.sender().run()


async def notifications(db: Database, category: str) -> list[str]:
    async with db.session() as session:
        rows = (
            await session.scalars(select(FailedNotification).where(FailedNotification.category == category))
        ).all()
        return [str(r.payload["text"]) for r in rows]


async def ledger_ok(db: Database) -> None:
    async with db.session() as session:
        report = await run_check(session)
    assert report.ok, report.render()


async def reconcile(env: Env, *, from_block: int = 0, to_block: int | None = None) -> Reconciliation:
    """``ledger reconcile`` of the test's books against the node itself (default window: up to
    head − confirmations)."""
    return await reconcile_with_chain(
        env.db, env.chain, CONFIRMATIONS, from_block=from_block, to_block=to_block
    )


async def reconciled(env: Env) -> Reconciliation:
    """§4.7 at the end of a payout test: every token that left a payout wallet, up to the head, is a
    settled payout or in flight, and every settled payout moved its amount."""
    report = await reconcile(env, to_block=await env.chain.block_number())
    assert report.ok, report.render()
    return report


@pytest.fixture
async def env(db_url: str, chain: LocalChain) -> AsyncIterator[Env]:
    async with open_runtime(payout_settings(db_url, chain)) as (rt, chain_rt):
        wallet = await setup_wallet(rt, chain)
        env = Env(rt, chain_rt, chain, wallet)
        yield env
        if env.reconcile_at_end:
            await reconciled(env)


# ------------------------------------------------------------------------------------ happy path
async def test_approved_withdrawal_paid_exactly_and_settled(env: Env) -> None:
    user_id, payout_id, receiver = await approved_payout(env.db, "12.34", fee="0.50")
    start = await env.chain.block_number()

    report = await env.sender().run()
    assert report.sent == [payout_id]
    sent = await payout_row(env.db, payout_id)
    assert sent.status == PayoutStatus.SENT and sent.nonce == 0 and sent.from_address == env.wallet.address
    assert await balance(env.db, accounts.held(user_id)) == Decimal("12.34")  # held until confirmed

    report = await env.sender().run()  # mined but not enough confirmations yet
    assert report.confirmed == [] and (await payout_row(env.db, payout_id)).status == PayoutStatus.SENT
    await env.mine()
    report = await env.sender().run()
    assert report.confirmed == [payout_id]

    # exactly amount − fee, in 18-decimal raw units, in one Transfer from the payout wallet
    assert await env.chain.balance_of(receiver) == 11_840_000_000_000_000_000
    logs = await env.chain.transfer_logs(start, await env.chain.block_number(), to=receiver)
    assert [(lg.from_address.lower(), lg.raw_value) for lg in logs] == [
        (env.wallet.address.lower(), 11_840_000_000_000_000_000)
    ]
    done = await payout_row(env.db, payout_id)
    assert done.status == PayoutStatus.CONFIRMED and done.block_number == logs[0].block_number
    assert done.tx_hash == logs[0].tx_hash
    assert await balance(env.db, accounts.held(user_id)) == 0
    assert await balance(env.db, accounts.available(user_id)) == Decimal(10)
    assert await balance(env.db, "system:payouts") == Decimal("11.84")
    assert await balance(env.db, "system:fees") == Decimal("0.50")
    await ledger_ok(env.db)
    texts = await notifications(env.db, "payout_confirmed")
    assert len(texts) == 1 and f"https://testnet.bscscan.com/tx/{done.tx_hash}" in texts[0]
    # a further run changes nothing (no second send, no second settle entry)
    report = await env.sender().run()
    assert report.sent == report.confirmed == []
    assert await count(env.db, PayoutTransaction) == 1


# ---------------------------------------------------------------------------------- low balance
async def test_low_usdt_no_send_alert_once_then_retry_after_topup(db_url: str, chain: LocalChain) -> None:
    async with open_runtime(payout_settings(db_url, chain)) as (rt, chain_rt):
        wallet = await setup_wallet(rt, chain, usdt="5")
        env = Env(rt, chain_rt, chain, wallet)
        user_id, payout_id, receiver = await approved_payout(env.db, "20")

        report = await env.sender().run()
        assert report.sent == [] and report.failed == [(payout_id, "insufficient_usdt")]
        row = await payout_row(env.db, payout_id)
        assert row.status == PayoutStatus.APPROVED and row.nonce is None and row.tx_hash is None
        assert await count(env.db, WalletNonce) == 0 and await count(env.db, PayoutTransaction) == 0
        assert await chain.rpc.call("eth_getTransactionCount", wallet.address, "pending") == "0x0"
        assert await chain.balance_of(receiver) == 0
        assert await balance(env.db, accounts.held(user_id)) == Decimal(20)
        alerts = await notifications(env.db, "admin_alert")
        assert len(alerts) == 1 and wallet.address in alerts[0] and "5.00" in alerts[0]
        async with env.db.session() as session:
            retry = await session.scalar(select(PaymentRetry).where(PaymentRetry.payout_id == payout_id))
        assert retry is not None and retry.error_kind == "insufficient_usdt" and retry.attempt_count == 0

        # the processor skips a payout whose retry waits; the retry job is not due yet
        assert (await env.sender().run()).failed == []
        assert (await env.sender().run(retries_only=True)).failed == []

        clock.travel(timedelta(minutes=1, seconds=1))
        report = await env.sender().run(retries_only=True)  # still short: 2nd failed attempt
        assert report.failed == [(payout_id, "insufficient_usdt")]
        assert len(await notifications(env.db, "admin_alert")) == 1  # alert at most once per 6 h

        await chain.fund(wallet.address, usdt="100", bnb_wei=0)
        clock.travel(timedelta(minutes=2, seconds=1))
        assert (await env.sender().run(retries_only=True)).sent == [payout_id]
        await env.mine()
        assert (await env.sender().run()).confirmed == [payout_id]
        assert await chain.balance_of(receiver) == chain.raw("20")
        async with env.db.session() as session:
            retry = await session.scalar(select(PaymentRetry).where(PaymentRetry.payout_id == payout_id))
        assert retry is not None and retry.resolved and retry.resolution == "succeeded"
        await ledger_ok(env.db)
        await reconciled(env)


async def test_low_bnb_monitor_alerts_and_no_nonce_used(db_url: str, chain: LocalChain) -> None:
    async with open_runtime(payout_settings(db_url, chain)) as (rt, chain_rt):
        wallet = await setup_wallet(rt, chain)
        await chain.set_native_balance(wallet.address, 10**9)  # far below one transfer's gas
        env = Env(rt, chain_rt, chain, wallet)
        _, payout_id, _ = await approved_payout(env.db, "7")
        report = await env.sender().run(monitor=True)
        assert report.failed == [(payout_id, "insufficient_gas")]
        assert await count(env.db, WalletNonce) == 0
        assert (await payout_row(env.db, payout_id)).status == PayoutStatus.APPROVED
        alerts = await notifications(env.db, "admin_alert")
        assert len(alerts) == 1 and "BNB" in alerts[0]
        assert await env.sender().check_low_balance(wallet.address)  # still low: no second alert (6 h)
        assert len(await notifications(env.db, "admin_alert")) == 1
        await chain.set_native_balance(wallet.address, 10**18)
        assert not await env.sender().check_low_balance(wallet.address)
        alerts = await notifications(env.db, "admin_alert")
        assert len(alerts) == 2 and "recovered" in alerts[1]
        assert not await env.sender().check_low_balance(wallet.address)  # the note is sent once
        assert len(await notifications(env.db, "admin_alert")) == 2
        await reconciled(env)


# ------------------------------------------------------------------------------ retries and DLQ
async def test_failing_precheck_backoff_then_dead_letter(env: Env) -> None:
    user_id, payout_id, receiver = await approved_payout(env.db, "9")
    await env.chain.set_paused(True)  # every gas estimate of a transfer now reverts
    try:
        assert (await env.sender().run()).failed == [(payout_id, "reverted")]
        for attempt, delay in enumerate([1, 2, 4, 8, 16], start=1):
            assert (await env.sender().run(retries_only=True)).failed == []  # not due yet
            clock.travel(timedelta(minutes=delay, seconds=1))
            report = await env.sender().run(retries_only=True)
            assert report.failed == [(payout_id, "reverted")]
            async with env.db.session() as session:
                retry = await session.scalar(select(PaymentRetry).where(PaymentRetry.payout_id == payout_id))
            assert retry is not None and retry.attempt_count == attempt
        assert retry.in_dlq and retry.next_retry_at is None and report.dead_lettered == [payout_id]
        row = await payout_row(env.db, payout_id)
        assert row.dead_lettered and row.status == PayoutStatus.APPROVED and row.nonce is None
        alerts = await notifications(env.db, "admin_alert")
        assert len(alerts) == 1 and f"#{payout_id}" in alerts[0] and "dead-letter" in alerts[0]
        clock.travel(timedelta(hours=1))
        assert (await env.sender().run(retries_only=True)).failed == []  # the DLQ is left alone
        assert (await env.sender().run()).failed == []
    finally:
        await env.chain.set_paused(False)
    assert await count(env.db, PayoutTransaction) == 0 and await env.chain.balance_of(receiver) == 0
    assert await balance(env.db, accounts.held(user_id)) == Decimal(9)
    await ledger_ok(env.db)


async def test_reverted_transfer_retried_with_new_nonce(env: Env) -> None:
    _, payout_id, receiver = await approved_payout(env.db, "15")
    start = await env.chain.block_number()
    await env.chain.set_automine(False)
    try:
        assert (await env.sender().run()).sent == [payout_id]  # in the mempool, nonce 0
        pause = selector("setPaused(bool)") + abi_encode(["bool"], [True])
        await env.chain.send_tx(
            env.chain.deployer, to=env.chain.token_address, data=pause, gas_price=3 * 10**9, wait=False
        )
        await env.mine(1)  # the pause (higher gas price) runs first: the transfer reverts
    finally:
        await env.chain.set_automine(True)
    assert (await env.sender().run()).reverted == []  # final only with the confirmation depth
    await env.mine()
    report = await env.sender().run()
    assert report.reverted == [payout_id]
    row = await payout_row(env.db, payout_id)
    assert row.status == PayoutStatus.APPROVED and row.nonce is None
    await env.chain.set_paused(False)
    clock.travel(timedelta(minutes=1, seconds=1))
    assert (await env.sender().run(retries_only=True)).sent == [payout_id]
    await env.mine()
    assert (await env.sender().run()).confirmed == [payout_id]
    async with env.db.session() as session:
        txs = (await session.scalars(select(PayoutTransaction).order_by(PayoutTransaction.id))).all()
    assert [(t.nonce, t.status) for t in txs] == [
        (0, PayoutTxStatus.MINED_REVERTED),
        (1, PayoutTxStatus.MINED_SUCCESS),
    ]
    logs = await env.chain.transfer_logs(start, await env.chain.block_number(), to=receiver)
    assert len(logs) == 1 and await env.chain.balance_of(receiver) == env.chain.raw("15")
    await ledger_ok(env.db)


async def test_nonce_conflict_dead_letters_without_resend(env: Env) -> None:
    user_id, payout_id, receiver = await approved_payout(env.db, "6")
    await env.chain.set_automine(False)
    try:
        assert (await env.sender().run()).sent == [payout_id]
        await env.chain.drop_all_pending()
        await env.chain.send_tx(
            env.wallet, to=env.wallet.address, nonce=0, wait=False
        )  # foreign use of nonce 0
        await env.mine(1)
    finally:
        await env.chain.set_automine(True)
    report = await seen_twice(env)
    assert report.dead_lettered == [payout_id] and report.rebroadcast == []
    row = await payout_row(env.db, payout_id)
    assert row.dead_lettered and row.status == PayoutStatus.SENT
    alerts = await notifications(env.db, "admin_alert")
    assert len(alerts) == 1 and "Nonce conflict" in alerts[0]
    await env.mine()
    report = await env.sender().run()
    assert report.rebroadcast == [] and report.sent == [] and report.confirmed == []
    assert await env.chain.balance_of(receiver) == 0
    assert await balance(env.db, accounts.held(user_id)) == Decimal(6)


async def test_consecutive_nonces_and_in_flight_cap(env: Env) -> None:
    ids = [(await approved_payout(env.db, str(5 + i)))[1] for i in range(7)]
    await env.chain.set_automine(False)
    try:
        first = await env.sender().run()
        assert first.sent == ids[:5]  # at most 5 in flight
        assert (await env.sender().run()).sent == []
        await env.mine(1 + CONFIRMATIONS)
        second = await env.sender().run()
        assert second.confirmed == ids[:5] and second.sent == ids[5:]
        await env.mine(1 + CONFIRMATIONS)
        assert (await env.sender().run()).confirmed == ids[5:]
    finally:
        await env.chain.set_automine(True)
    async with env.db.session() as session:
        rows = (await session.scalars(select(Payout).order_by(Payout.id))).all()
    assert [r.nonce for r in rows] == list(range(7))
    assert all(r.status == PayoutStatus.CONFIRMED for r in rows)
    assert await count(env.db, PayoutTransaction) == 7
    await ledger_ok(env.db)


# ---------------------------------------------------------------------------------- keystore CLI
def _cli(args: list[str], stdin: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {
        k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "TEST_", "ENCRYPTION_"))
    }
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "sigmatrade", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full,
        cwd=cwd,
        timeout=120,
        check=False,
    )


async def test_set_payout_key_cli_round_trip(db: Database, db_url: str, tmp_path: Path) -> None:
    account: LocalAccount = Account.create()
    secret = account.key.hex()
    env = {"DATABASE_URL": db_url, "ENCRYPTION_KEY": ENCRYPTION_KEY}
    result = _cli(["wallet", "set-payout-key", "--initial"], secret + "\n", env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [account.address, "activated as payout wallet"]
    assert secret.removeprefix("0x") not in result.stdout + result.stderr
    async with db.session() as session:
        row = await session.scalar(select(WalletKey))
        assert row is not None and row.address == account.address and row.created_via == "cli"
        assert secret.removeprefix("0x") not in row.encrypted_key
        settings = load_config(_env_file=None, database_url=db_url, encryption_key=ENCRYPTION_KEY)
        loaded = await keystore.load_account(session, keystore.cipher_for(settings), account.address)
        assert loaded.key == account.key
        # another ENCRYPTION_KEY cannot read it
        other = load_config(
            _env_file=None, database_url=db_url, encryption_key=base64.b64encode(b"z" * 32).decode()
        )
        with pytest.raises(keystore.KeystoreError):
            await keystore.load_account(session, keystore.cipher_for(other), account.address)
        wallet_setting = await session.get(SystemSetting, "payout.wallet_address")
        assert wallet_setting is not None and account.address in wallet_setting.value

    # wrong key material: one clear line, nothing stored, the input never echoed
    for bad in ["0x1234", "zz" * 32, "apple banana cherry", secret[:-1] + "g"]:
        refused = _cli(["wallet", "set-payout-key"], bad + "\n", env, tmp_path)
        assert refused.returncode == 1 and refused.stdout == ""
        lines = [ln for ln in refused.stderr.splitlines() if ln.strip()]
        assert lines == [f"error: {keystore.INVALID_INPUT}"]
        assert bad not in refused.stderr
    # a mnemonic is accepted (first account of the standard path); --initial keeps the configured wallet
    words = "test test test test test test test test test test test junk"
    result = _cli(["wallet", "set-payout-key", "--initial"], words, env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert "already configured" in result.stdout
    async with db.session() as session:
        assert int(await session.scalar(select(func.count(WalletKey.id))) or 0) == 2
        wallet_setting = await session.get(SystemSetting, "payout.wallet_address")
        assert wallet_setting is not None and account.address in wallet_setting.value


async def test_jobs_send_and_confirm(env: Env) -> None:
    from sigmatrade.jobs.scheduler import JobContext
    from sigmatrade.jobs.tasks import payment_processor, payment_retry

    _, payout_id, receiver = await approved_payout(env.db, "5.55")
    ctx = JobContext(env.rt, payment_processor.NAME, clock.now(), "req-pay")
    await payment_processor.run(ctx)
    assert ctx.details["sent"] == 1
    await env.mine()
    retry_ctx = JobContext(env.rt, payment_retry.NAME, clock.now(), "req-retry")
    await payment_retry.run(retry_ctx)  # the retry job runs the tracker too
    assert (await payout_row(env.db, payout_id)).status == PayoutStatus.CONFIRMED
    assert await env.chain.balance_of(receiver) == env.chain.raw("5.55")
    await ledger_ok(env.db)
