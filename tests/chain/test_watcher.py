"""Deposit watcher + blockchain monitor against a real anvil node (SPEC §4.3, §4.4, §3.3–§3.4;
scenarios 13–24): detection, N confirmations, ledger and referral credits to 18 decimals, tolerance,
unmatched queue, dust, idempotent rescans, reorgs and expiry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from sigmatrade import clock
from sigmatrade.db.models import (
    ChainCursor,
    ChainTransfer,
    Deposit,
    JournalEntry,
    ReferralCommission,
    UnmatchedDeposit,
)
from sigmatrade.domain.enums import (
    CommissionStatus,
    ConfirmationStatus,
    DepositStatus,
    MatchStatus,
    UnmatchedReason,
    UnmatchedStatus,
)
from sigmatrade.sandbox.chain import LocalChain
from sigmatrade.services import settings as settings_service
from tests.chain.watch_env import CONFIRMATIONS, WatchEnv, new_account, signed_transfer, watch_env

pytestmark = pytest.mark.chain
D = Decimal
ADMIN = 9_200_001


@pytest.fixture(scope="module")
async def chain() -> AsyncIterator[LocalChain]:
    async with LocalChain() as c:
        await c.deploy_token()
        yield c


async def _set(env: WatchEnv, key: str, value: object) -> None:
    async with env.rt.db.transaction() as session:
        await settings_service.write(session, key, value, None)
    env.rt.store.invalidate()


# ---------------------------------------------------------------------------------------------- happy path


async def test_exact_transfer_detected_confirmed_with_three_level_commissions(
    db_url: str, chain: LocalChain
) -> None:
    async with watch_env(db_url, chain) as env:
        top, _ = await env.depositor(fund=False)
        mid, _ = await env.depositor(referrer=top, fund=False)
        near, _ = await env.depositor(referrer=mid, fund=False)
        payer, wallet = await env.depositor(referrer=near)
        deposit = await env.pending(payer, "10")
        received = D("10.000000000000000001")  # inside the 0.01 tolerance, exact to 18 decimals
        tx = await env.pay(wallet, 10 * 10**18 + 1)

        first = await env.monitor()
        assert first.scan is not None and first.scan.matched == 1 and first.scan.caught_up
        row = await env.deposit(deposit.id)
        assert row.status == DepositStatus.DETECTED and row.tx_hash == tx.lower()
        assert any("Transfer detected" in text and "10.00 USDT" in text for text in env.texts(payer))
        (transfer,) = await env.transfers()
        assert transfer.raw_value == 10 * 10**18 + 1 and transfer.amount == received
        assert transfer.match_status == MatchStatus.MATCHED and transfer.deposit_id == deposit.id

        # N-1 blocks on top: still waiting, nothing credited
        waiting = await env.mine_and_monitor(CONFIRMATIONS - 1)
        assert waiting.confirm is not None and waiting.confirm.confirmed == 0 and waiting.confirm.waiting == 1
        assert (await env.deposit(deposit.id)).status == DepositStatus.DETECTED
        assert (await env.balances(payer)).principal == 0

        done = await env.mine_and_monitor(1)
        assert done.confirm is not None and done.confirm.confirmed == 1
        row = await env.deposit(deposit.id)
        assert row.status == DepositStatus.CONFIRMED and row.received_amount == received
        assert (await env.balances(payer)).principal == received
        assert (await env.balances(near)).available == D("0.3")
        assert (await env.balances(mid)).available == D("0.2")
        assert (await env.balances(top)).available == D("0.5")
        assert any("Deposit confirmed" in text for text in env.texts(payer))
        assert any("Referral commission" in text and "+0.30 USDT" in text for text in env.texts(near))
        assert any("line 3" in text for text in env.texts(top))
        await env.ledger_ok()

        # Rescanning the same range (cursor rewound) and re-running confirmations credits nothing twice.
        entries = await env.count(JournalEntry)
        async with env.rt.db.transaction() as session:
            await session.execute(update(ChainCursor).values(last_block=transfer.block_number - 1))
        again = await env.monitor()
        assert again.scan is not None and again.scan.recorded == 0 and again.scan.logs == 1
        assert again.confirm is not None and again.confirm.confirmed == 0
        assert await env.count(JournalEntry) == entries
        assert await env.count(ChainTransfer) == 1
        assert (await env.balances(payer)).principal == received
        assert (await env.balances(top)).available == D("0.5")


async def test_banned_upline_is_skipped(db_url: str, chain: LocalChain) -> None:
    async with watch_env(db_url, chain) as env:
        top, _ = await env.depositor(fund=False)
        banned, _ = await env.depositor(referrer=top, fund=False, banned=True)
        payer, wallet = await env.depositor(referrer=banned)
        deposit = await env.pending(payer, "50", level=1)
        await env.pay(wallet, "50")
        await env.monitor()
        await env.mine_and_monitor(CONFIRMATIONS)
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert (await env.balances(banned)).available == 0
        assert (await env.balances(top)).available == D(1)  # 2 % of 50
        async with env.rt.db.session() as session:
            rows = (
                await session.scalars(select(ReferralCommission).order_by(ReferralCommission.depth))
            ).all()
        assert [(r.depth, r.status) for r in rows] == [
            (1, CommissionStatus.SKIPPED),
            (2, CommissionStatus.CREDITED),
        ]
        await env.ledger_ok()


# ---------------------------------------------------------------------------------------------- matching rules


async def test_tolerance_mismatch_dust_and_unknown_sender(db_url: str, chain: LocalChain) -> None:
    async with watch_env(db_url, chain, super_admin_ids=str(ADMIN)) as env:
        env.h.user(ADMIN, "Admin", language_code="en").user.started = True
        inside, w_inside = await env.depositor()
        outside, w_outside = await env.depositor()
        duster, w_dust = await env.depositor()
        stranger = new_account()
        await chain.fund(stranger.address, usdt="20")
        d_inside = await env.pending(inside, "10")
        d_outside = await env.pending(outside, "10")
        d_dust = await env.pending(duster, "10")

        await chain.set_automine(False)  # all four in one block
        try:
            await chain.transfer(w_inside, env.system, chain.raw("10.01"), wait=False)  # = tolerance: matches
            await chain.transfer(w_outside, env.system, chain.raw("10.02"), wait=False)  # outside tolerance
            await chain.transfer(w_dust, env.system, chain.raw("0.99"), wait=False)  # below the dust floor
            await chain.transfer(stranger, env.system, chain.raw("7"), wait=False)
            await chain.mine(1)
        finally:
            await chain.set_automine(True)
        scan = (await env.monitor()).scan
        assert scan is not None and scan.recorded == 4 and scan.matched == 1 and scan.dust == 1
        assert (await env.deposit(d_inside.id)).status == DepositStatus.DETECTED
        assert (await env.deposit(d_outside.id)).status == DepositStatus.PENDING
        assert (await env.deposit(d_dust.id)).status == DepositStatus.PENDING
        assert env.texts(outside) == [] and env.texts(duster) == []
        admin_texts = [m.body for m in env.h.emulator.bot_messages(ADMIN)]
        # 10.01 against 10: deviation above half the fixed tolerance → admins alerted
        assert any("Significant amount deviation" in text and "10.01" in text for text in admin_texts)

        result = await env.mine_and_monitor(CONFIRMATIONS)
        assert result.confirm is not None and result.confirm.confirmed == 1 and result.confirm.queued == 2
        assert (await env.balances(inside)).principal == D("10.01")
        assert (await env.balances(outside)).principal == 0
        by_sender = {t.from_address: t for t in await env.transfers()}
        assert by_sender[w_dust.address.lower()].match_status == MatchStatus.DUST
        assert by_sender[w_outside.address.lower()].unmatched_reason == UnmatchedReason.AMOUNT_MISMATCH
        assert by_sender[stranger.address.lower()].unmatched_reason == UnmatchedReason.UNKNOWN_SENDER
        async with env.rt.db.session() as session:
            items = (await session.scalars(select(UnmatchedDeposit).order_by(UnmatchedDeposit.id))).all()
        assert sorted(str(i.reason) for i in items) == ["amount_mismatch", "unknown_sender"]
        assert all(i.status == UnmatchedStatus.OPEN for i in items)
        assert by_sender[w_dust.address.lower()].id not in {i.transfer_id for i in items}
        alerts = [m.body for m in env.h.emulator.bot_messages(ADMIN) if "needs review" in m.body]
        assert len(alerts) == 2 and any("unknown sender" in text for text in alerts)
        await env.ledger_ok()

        # percent mode: 5 % of 10 = 0.5 → 10.4 matches the still pending deposit of ``outside``
        await _set(env, "deposit.tolerance_mode", "percent")
        await env.pay(w_outside, "10.4")
        scan = (await env.monitor()).scan
        assert scan is not None and scan.matched == 1
        await env.mine_and_monitor(CONFIRMATIONS)
        assert (await env.deposit(d_outside.id)).status == DepositStatus.CONFIRMED
        assert (await env.balances(outside)).principal == D("10.4")
        await env.ledger_ok()


# ---------------------------------------------------------------------------------------------- reorgs


async def test_reorg_before_confirmation_reverts_then_reinclusion_credits_once(
    db_url: str, chain: LocalChain
) -> None:
    async with watch_env(db_url, chain) as env:
        payer, wallet = await env.depositor()
        deposit = await env.pending(payer, "10")
        # Sign the transfer ourselves so the same bytes can be replayed after the reorg.
        raw_hex = await signed_transfer(chain, wallet, env.system, chain.raw("10"))
        tx = await chain.rpc.call("eth_sendRawTransaction", raw_hex)
        await chain.wait_receipt(tx)
        await chain.mine(1)
        assert (await env.monitor()).scan is not None
        assert (await env.deposit(deposit.id)).status == DepositStatus.DETECTED

        # The two blocks (transfer + one on top) are replaced without it, before N confirmations.
        await chain.reorg(2)
        reverted = await env.mine_and_monitor(CONFIRMATIONS)
        assert reverted.scan is not None and reverted.scan.reorg
        assert (
            reverted.confirm is not None
            and reverted.confirm.orphaned == 1
            and reverted.confirm.confirmed == 0
        )
        row = await env.deposit(deposit.id)
        assert row.status == DepositStatus.PENDING and row.transfer_id is None and row.tx_hash is None
        (transfer,) = await env.transfers()
        assert transfer.confirmation_status == ConfirmationStatus.ORPHANED
        assert (await env.balances(payer)).principal == 0
        assert any("Detection reverted" in text for text in env.texts(payer))

        # The same signed transaction is included again (another block): revived, credited once.
        await chain.rpc.call("eth_sendRawTransaction", raw_hex)
        await chain.wait_receipt(tx)
        revived = await env.monitor()
        assert revived.scan is not None and revived.scan.recorded == 1 and revived.scan.matched == 1
        assert (await env.deposit(deposit.id)).status == DepositStatus.DETECTED
        for _ in range(3):
            await env.mine_and_monitor(CONFIRMATIONS)
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert await env.count(ChainTransfer) == 1
        assert await env.count(JournalEntry, JournalEntry.idempotency_key.like("deposit%")) == 1
        assert (await env.balances(payer)).principal == D(10)
        await env.ledger_ok()


async def test_reorg_moving_the_transfer_to_another_block_credits_once(
    db_url: str, chain: LocalChain
) -> None:
    async with watch_env(db_url, chain) as env:
        payer, wallet = await env.depositor()
        deposit = await env.pending(payer, "10")
        raw_hex = await signed_transfer(chain, wallet, env.system, chain.raw("10"))
        tx = await chain.rpc.call("eth_sendRawTransaction", raw_hex)
        await chain.wait_receipt(tx)
        await chain.mine(1)
        await env.monitor()
        (before,) = await env.transfers()
        # Replace the last 2 blocks; the transfer is re-included one block later.
        await chain.reorg(2, [(raw_hex, 1)])
        receipt = await chain.wait_receipt(tx)
        assert receipt["blockHash"].lower() != before.block_hash
        for _ in range(3):
            await env.mine_and_monitor(CONFIRMATIONS)
        (after,) = await env.transfers()
        assert after.id == before.id and after.block_hash == receipt["blockHash"].lower()
        assert after.confirmation_status == ConfirmationStatus.CONFIRMED
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert (await env.balances(payer)).principal == D(10)
        assert sum("Deposit confirmed" in text for text in env.texts(payer)) == 1
        await env.ledger_ok()


# ---------------------------------------------------------------------------------------------- expiry


async def test_pending_deposit_expires_after_24_hours_and_user_is_told(
    db_url: str, chain: LocalChain
) -> None:
    async with watch_env(db_url, chain) as env:
        payer, _ = await env.depositor(fund=False)
        deposit = await env.pending(payer, "10")
        assert (await env.monitor()).expired == 0
        clock.travel(timedelta(hours=23, minutes=59))
        assert (await env.monitor()).expired == 0
        assert (await env.deposit(deposit.id)).status == DepositStatus.PENDING
        clock.travel(timedelta(minutes=2))
        assert (await env.monitor()).expired == 1
        row = await env.deposit(deposit.id)
        assert row.status == DepositStatus.EXPIRED and row.expired_at is not None
        assert any("Deposit expired" in text for text in env.texts(payer))
        assert (await env.monitor()).expired == 0
        assert await env.count(Deposit, Deposit.status == DepositStatus.EXPIRED) == 1


async def test_finalized_mode_waits_for_the_finalized_block(db_url: str, chain: LocalChain) -> None:
    """anvil reports `finalized` = latest − 64: the deposit confirms only once its block is that old."""
    async with watch_env(db_url, chain, chain_confirmation_mode="finalized") as env:
        payer, wallet = await env.depositor()
        deposit = await env.pending(payer, "10")
        await env.pay(wallet, "10")
        await env.monitor()
        assert (await env.deposit(deposit.id)).status == DepositStatus.DETECTED
        assert any("finalized" in text for text in env.texts(payer) if "Transfer detected" in text)
        (transfer,) = await env.transfers()
        assert transfer.block_number is not None
        await env.mine_and_monitor(transfer.block_number + 63 - await chain.block_number())  # one block short
        finalized = int((await chain.rpc.call("eth_getBlockByNumber", "finalized", False))["number"], 16)
        assert finalized == transfer.block_number - 1
        assert (await env.deposit(deposit.id)).status == DepositStatus.DETECTED
        assert (await env.balances(payer)).principal == 0
        await env.mine_and_monitor(1)
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert (await env.balances(payer)).principal == D(10)
        await env.ledger_ok()


# ---------------------------------------------------------------------------------------------- late match, job


async def test_unmatched_transfer_is_late_matched_when_the_user_activates(
    db_url: str, chain: LocalChain
) -> None:
    from sigmatrade.services import deposit_lifecycle

    async with watch_env(db_url, chain) as env:
        payer, wallet = await env.depositor()
        await env.pay(wallet, "10")  # no pending deposit yet
        await env.monitor()
        result = await env.mine_and_monitor(CONFIRMATIONS)
        assert result.confirm is not None and result.confirm.queued == 1
        (transfer,) = await env.transfers()
        assert transfer.unmatched_reason == UnmatchedReason.NO_PENDING_DEPOSIT
        assert (await env.balances(payer)).principal == 0

        deposit = await env.pending(payer, "10")
        confirmation = await deposit_lifecycle.late_match(env.rt, deposit.id)
        assert confirmation is not None and confirmation.unmatched_id is not None
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert (await env.balances(payer)).principal == D(10)
        async with env.rt.db.session() as session:
            item = await session.scalar(select(UnmatchedDeposit))
        assert (
            item is not None
            and item.status == UnmatchedStatus.ASSIGNED
            and item.assigned_deposit_id == deposit.id
        )
        assert any("Deposit confirmed" in text for text in env.texts(payer))
        # a second attempt finds nothing left to match
        other = await env.pending(payer, "10", level=2)
        assert await deposit_lifecycle.late_match(env.rt, other.id) is None
        assert (await env.deposit(other.id)).status == DepositStatus.PENDING
        await env.ledger_ok()


async def test_activation_through_the_bot_claims_a_queued_transfer(db_url: str, chain: LocalChain) -> None:
    # A transfer sent before activation cannot carry an amount tag: late matching of it is the
    # untagged rule (DEPOSIT_AMOUNT_TAG=false); with tags it goes to admin review (docs/decisions.md).
    async with watch_env(db_url, chain, deposit_amount_tag=False) as env:
        payer, wallet = await env.depositor()
        await env.pay(wallet, "10")  # sent before any deposit exists: queued as no_pending_deposit
        await env.monitor()
        await env.mine_and_monitor(CONFIRMATIONS)
        assert (await env.balances(payer)).principal == 0
        client = env.h.user(payer.telegram_id, "Payer", language_code="en")
        await client.send("/menu")
        await client.press("💼 Deposits")
        await client.press("Level 1")
        await client.press("🚀 Activate level 1")
        message = await client.wait_message("Deposit confirmed")
        assert "Deposit confirmed" in message.body
        async with env.rt.db.session() as session:
            deposit = await session.scalar(select(Deposit).where(Deposit.user_id == payer.id))
        assert deposit is not None and deposit.status == DepositStatus.CONFIRMED
        assert (await env.balances(payer)).principal == D(10)
        await env.ledger_ok()


async def test_job_runs_through_the_scheduler(db_url: str, chain: LocalChain) -> None:
    from sigmatrade.domain.enums import JobStatus
    from sigmatrade.jobs.scheduler import Scheduler

    async with watch_env(db_url, chain) as env:
        payer, wallet = await env.depositor()
        deposit = await env.pending(payer, "10")
        await env.pay(wallet, "10")
        scheduler = Scheduler(env.rt)
        assert "blockchain_monitor" in scheduler.jobs
        assert await scheduler.run_now("blockchain_monitor") == JobStatus.OK
        assert (await env.deposit(deposit.id)).status == DepositStatus.DETECTED
        await chain.mine(CONFIRMATIONS)
        assert await scheduler.run_now("blockchain_monitor") == JobStatus.OK
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
