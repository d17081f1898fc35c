"""SPEC §12 deposit scenarios against anvil, filling what tests/chain/test_watcher.py and
tests/e2e/test_deposits.py leave open: 13 (applied wallet change: shown and watched, old address in its
grace period), 15 (exact 10·10^18 with the explorer link), 16 (both tolerance modes at their edges),
17/18 (unknown sender queued + alert; 0.5 dust leaves no trace), 20 (two replicas on one log),
23 (expired deposit, later transfer → deposit_expired), 24 (cancel refused after a real detection),
33 (banned line-2 upline skipped). Each ends with ledger check + audit verify; the emulator must have
refused nothing (watch_env asserts it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from sigmatrade import clock
from sigmatrade.chain.runtime import DEPOSIT_CURSOR
from sigmatrade.db.models import (
    Admin,
    ChainCursor,
    ChainTransfer,
    Deposit,
    JournalEntry,
    ReferralCommission,
    UnmatchedDeposit,
    User,
    WalletChangeRequest,
)
from sigmatrade.domain.enums import (
    CommissionStatus,
    DepositStatus,
    MatchStatus,
    UnmatchedReason,
    UnmatchedStatus,
    WalletChangeStatus,
    WalletChangeType,
)
from sigmatrade.sandbox.chain import LocalChain
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import audit, deposit_lifecycle
from sigmatrade.services import settings as settings_service
from tests.chain.watch_env import CONFIRMATIONS, WatchEnv, new_account, settings_for, watch_env

pytestmark = pytest.mark.chain
D = Decimal
ADMIN = 9_300_001


@pytest.fixture(scope="module")
async def chain() -> AsyncIterator[LocalChain]:
    async with LocalChain() as c:
        await c.deploy_token()
        yield c


async def _set(env: WatchEnv, key: str, value: object) -> None:
    async with env.rt.db.transaction() as session:
        await settings_service.write(session, key, value, None)
    env.rt.store.invalidate()


async def _books_ok(env: WatchEnv) -> None:
    await env.ledger_ok()
    async with env.rt.db.session() as session:
        result = await audit.verify(session)
    assert result.ok, result.render()


def _admin_texts(env: WatchEnv, contains: str) -> list[str]:
    return [m.body for m in env.h.emulator.bot_messages(ADMIN) if contains in m.body]


async def _items(env: WatchEnv) -> list[UnmatchedDeposit]:
    async with env.rt.db.session() as session:
        return list((await session.scalars(select(UnmatchedDeposit).order_by(UnmatchedDeposit.id))).all())


async def _deposits_of(env: WatchEnv, user: User) -> list[Deposit]:
    async with env.rt.db.session() as session:
        return list((await session.scalars(select(Deposit).where(Deposit.user_id == user.id))).all())


async def _transfer_of(env: WatchEnv, item: UnmatchedDeposit) -> ChainTransfer:
    async with env.rt.db.session() as session:
        row = await session.get(ChainTransfer, item.transfer_id)
    assert row is not None
    return row


async def _confirm_all(env: WatchEnv) -> None:
    await env.monitor()
    await env.mine_and_monitor(CONFIRMATIONS)


# ---------------------------------------------------------------------------------------------- 13


async def test_scenario_13_applied_wallet_change_is_shown_and_both_addresses_are_watched(
    db_url: str, chain: LocalChain
) -> None:
    async with watch_env(db_url, chain, super_admin_ids=str(ADMIN)) as env:
        old = env.system
        payer, wallet = await env.depositor()
        late, late_wallet = await env.depositor()
        client = env.h.user(payer.telegram_id, "Payer", language_code="en")
        await client.send("/menu")
        await client.press("💼 Deposits")
        await client.press("Level 1")
        ex = await client.press("🚀 Activate level 1")
        assert old in ex.text

        # The change applied as §3.11 describes it: setting + version bump + applied request row.
        new = new_account().address
        async with env.rt.db.transaction() as session:
            admin = await session.scalar(select(Admin).where(Admin.telegram_id == ADMIN))
            assert admin is not None
            await settings_service.write(session, "deposit.system_wallet_address", new, admin.id)
            await settings_service.write(session, "wallets.version", 2, admin.id)
            session.add(
                WalletChangeRequest(
                    type=WalletChangeType.SYSTEM_DEPOSIT,
                    old_address=old,
                    new_address=new,
                    status=WalletChangeStatus.APPLIED,
                    initiated_by_admin_id=admin.id,
                    approved_by_admin_id=admin.id,
                    applied_by_admin_id=admin.id,
                    approved_at=clock.now(),
                    applied_at=clock.now(),
                )
            )
        env.rt.store.invalidate()
        ex = await client.press("📨 I have sent it")
        assert new in ex.text and old not in ex.text

        # The watcher follows: the new address, and the old one during its grace period (48 h).
        d_new = (await _deposits_of(env, payer))[0]
        d_old = await env.pending(late, "10")
        await chain.transfer(wallet, new, chain.raw(d_new.expected_amount))  # the tagged amount shown
        await chain.transfer(late_wallet, old, chain.raw("10"))
        scan = (await env.monitor()).scan
        assert scan is not None and scan.matched == 2 and set(scan.watched) == {old.lower(), new.lower()}
        await env.mine_and_monitor(CONFIRMATIONS)
        assert (await env.deposit(d_new.id)).status == DepositStatus.CONFIRMED
        assert (await env.deposit(d_old.id)).status == DepositStatus.CONFIRMED

        # After the grace period the old address is no longer watched: a transfer there is not recorded.
        clock.travel(timedelta(hours=49))
        third, third_wallet = await env.depositor()
        await env.pending(third, "10")
        await chain.transfer(third_wallet, old, chain.raw("10"))
        scan = (await env.monitor()).scan
        assert scan is not None and scan.watched == [new.lower()] and scan.recorded == 0
        assert await env.count(ChainTransfer) == 2
        await _books_ok(env)


# ---------------------------------------------------------------------------------------------- 15


async def test_scenario_15_exact_transfer_detected_with_link_then_confirmed(
    db_url: str, chain: LocalChain
) -> None:
    async with watch_env(db_url, chain) as env:
        payer, wallet = await env.depositor()
        deposit = await env.pending(payer, "10")
        tx = await env.pay(wallet, 10 * 10**18)
        assert (await env.monitor()).scan is not None
        detected = [
            m for m in env.h.emulator.bot_messages(payer.telegram_id) if "Transfer detected" in m.body
        ]
        assert len(detected) == 1
        links = [e.get("url") for e in detected[0].entities if e.get("type") == "text_link"]
        assert f"https://bscscan.com/tx/{tx.lower()}" in [str(u).lower() for u in links]
        await env.mine_and_monitor(CONFIRMATIONS - 1)
        assert (await env.deposit(deposit.id)).status == DepositStatus.DETECTED
        assert (await env.balances(payer)).principal == 0
        await env.mine_and_monitor(1)
        row = await env.deposit(deposit.id)
        assert row.status == DepositStatus.CONFIRMED and row.received_amount == D(10)
        (transfer,) = await env.transfers()
        assert transfer.raw_value == 10 * 10**18 and transfer.amount == D(10)
        assert (await env.balances(payer)).principal == D(10)
        assert sum("Deposit confirmed" in text for text in env.texts(payer)) == 1
        # the level shows as active in the bot
        client = env.h.user(payer.telegram_id, "Payer", language_code="en")
        await client.send("/menu")
        ex = await client.press("💼 Deposits")
        assert "Level 1 · 10.00 USDT — ✅ active" in ex.text
        await _books_ok(env)


# ---------------------------------------------------------------------------------------------- 16


@pytest.mark.parametrize(
    ("mode", "accepted", "rejected"),
    [("fixed", ["9.99", "10.01"], "10.02"), ("percent", ["9.5", "10.5"], "10.51")],
)
async def test_scenario_16_tolerance_edges(
    db_url: str, chain: LocalChain, mode: str, accepted: list[str], rejected: str
) -> None:
    async with watch_env(db_url, chain) as env:
        await _set(env, "deposit.tolerance_mode", mode)
        cases = []
        for amount in [*accepted, rejected]:
            user, wallet = await env.depositor()
            cases.append((amount, user, await env.pending(user, "10")))
            await env.pay(wallet, amount)
        await _confirm_all(env)
        for amount, user, deposit in cases:
            row = await env.deposit(deposit.id)
            if amount == rejected:
                assert row.status == DepositStatus.PENDING and (await env.balances(user)).principal == 0
            else:
                assert row.status == DepositStatus.CONFIRMED and row.received_amount == D(amount)
                assert (await env.balances(user)).principal == D(amount)
        (item,) = await _items(env)
        assert item.reason == UnmatchedReason.AMOUNT_MISMATCH
        assert (await _transfer_of(env, item)).amount == D(rejected)
        assert item.status == UnmatchedStatus.OPEN
        await _books_ok(env)


# ---------------------------------------------------------------------------------------------- 17, 18


async def test_scenarios_17_18_unknown_sender_queued_and_dust_leaves_no_trace(
    db_url: str, chain: LocalChain
) -> None:
    async with watch_env(db_url, chain, super_admin_ids=str(ADMIN)) as env:
        env.h.user(ADMIN, "Admin", language_code="en").user.started = True
        duster, w_dust = await env.depositor()
        d_dust = await env.pending(duster, "10")
        stranger = new_account()
        await chain.fund(stranger.address, usdt="20")
        await env.pay(w_dust, "0.5")
        entries_before = await env.count(JournalEntry)
        scan = (await env.monitor()).scan
        assert scan is not None and scan.dust == 1 and scan.matched == 0
        await env.mine_and_monitor(CONFIRMATIONS)
        (dust,) = await env.transfers()
        assert dust.match_status == MatchStatus.DUST and dust.amount == D("0.5")
        assert await _items(env) == [] and await env.count(JournalEntry) == entries_before
        assert (await env.deposit(d_dust.id)).status == DepositStatus.PENDING
        assert env.texts(duster) == [] and env.h.emulator.bot_messages(ADMIN) == []

        await env.pay(stranger, "7")
        scan = (await env.monitor()).scan
        assert scan is not None and scan.recorded == 1 and _admin_texts(env, "needs review") == []
        await env.mine_and_monitor(CONFIRMATIONS)  # queued only once confirmed
        (item,) = await _items(env)
        assert item.reason == UnmatchedReason.UNKNOWN_SENDER and item.status == UnmatchedStatus.OPEN
        queued = await _transfer_of(env, item)
        assert queued.amount == D(7) and queued.from_address == stranger.address.lower()
        assert await env.count(JournalEntry) == entries_before + 1  # unmatched_received
        (alert,) = _admin_texts(env, "needs review")
        assert "Amount: 7 USDT" in alert and stranger.address.lower() in alert and "unknown sender" in alert
        await env.mine_and_monitor(CONFIRMATIONS)
        assert len(await _items(env)) == 1 and len(_admin_texts(env, "needs review")) == 1
        await _books_ok(env)


# ---------------------------------------------------------------------------------------------- 20


async def test_scenario_20_two_replicas_and_a_rescan_credit_once(db_url: str, chain: LocalChain) -> None:
    async with watch_env(db_url, chain) as env:
        top, _ = await env.depositor(fund=False)
        mid, _ = await env.depositor(referrer=top, fund=False)
        near, _ = await env.depositor(referrer=mid, fund=False)
        payer, wallet = await env.depositor(referrer=near)
        deposit = await env.pending(payer, "10")
        async with env.rt.db.session() as session:
            cursor = await session.scalar(select(ChainCursor).where(ChainCursor.name == DEPOSIT_CURSOR))
        start_block = await chain.block_number() + 1
        await env.pay(wallet, "10")

        # a second replica: another process on the same database and chain
        replica = Harness(
            env.h.database_url, emulator=env.h.emulator, **settings_for(chain, start_block, env.system)
        )
        await replica.start()
        try:
            other = WatchEnv(replica, chain, env.system)
            first, second = await asyncio.gather(env.monitor(), other.monitor())
            assert first.scan is not None and second.scan is not None
            assert first.scan.matched + second.scan.matched == 1
            await chain.mine(CONFIRMATIONS)
            await asyncio.gather(env.monitor(), other.monitor())
            # the cursor rewound (rescan): both replicas see the log again
            async with env.rt.db.transaction() as session:
                await session.execute(update(ChainCursor).values(last_block=start_block - 1))
            await asyncio.gather(env.monitor(), other.monitor())
        finally:
            await replica.stop()
        assert cursor is None or cursor.last_block < start_block
        assert await env.count(ChainTransfer) == 1
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert await env.count(JournalEntry, JournalEntry.idempotency_key.like("deposit%")) == 1
        assert await env.count(ReferralCommission) == 3
        assert (await env.balances(payer)).principal == D(10)
        assert [(await env.balances(u)).available for u in (near, mid, top)] == [D("0.3"), D("0.2"), D("0.5")]
        assert sum("Deposit confirmed" in text for text in env.texts(payer)) == 1
        assert sum("Transfer detected" in text for text in env.texts(payer)) == 1
        await _books_ok(env)


# ---------------------------------------------------------------------------------------------- 23, 24


async def test_scenario_23_expired_then_a_matching_transfer_is_deposit_expired(
    db_url: str, chain: LocalChain
) -> None:
    async with watch_env(db_url, chain) as env:
        payer, wallet = await env.depositor()
        deposit = await env.pending(payer, "10")
        clock.travel(timedelta(hours=24, minutes=1))
        assert (await env.monitor()).expired == 1
        assert (await env.deposit(deposit.id)).status == DepositStatus.EXPIRED
        assert sum("Deposit expired" in text for text in env.texts(payer)) == 1
        await env.pay(wallet, "10")
        await _confirm_all(env)
        (transfer,) = await env.transfers()
        assert transfer.unmatched_reason == UnmatchedReason.DEPOSIT_EXPIRED
        (item,) = await _items(env)
        assert item.reason == UnmatchedReason.DEPOSIT_EXPIRED and item.status == UnmatchedStatus.OPEN
        assert (await env.deposit(deposit.id)).status == DepositStatus.EXPIRED
        assert (await env.balances(payer)).principal == 0

        # §4.3.6: activating again claims the queued deposit_expired transfer at once
        again = await env.pending(payer, "10")
        confirmation = await deposit_lifecycle.late_match(env.rt, again.id)
        assert confirmation is not None and confirmation.unmatched_id == item.id
        assert (await env.deposit(again.id)).status == DepositStatus.CONFIRMED
        (item,) = await _items(env)
        assert item.status == UnmatchedStatus.ASSIGNED and item.assigned_deposit_id == again.id
        assert (await env.balances(payer)).principal == D(10)
        await _books_ok(env)


async def test_scenario_24_cancel_refused_after_a_real_detection(db_url: str, chain: LocalChain) -> None:
    async with watch_env(db_url, chain) as env:
        payer, wallet = await env.depositor()
        client = env.h.user(payer.telegram_id, "Payer", language_code="en")
        await client.send("/menu")
        await client.press("💼 Deposits")
        await client.press("Level 1")
        await client.press("🚀 Activate level 1")
        (deposit,) = await _deposits_of(env, payer)
        await env.pay(wallet, str(deposit.expected_amount))  # the exact (tagged) amount shown
        await env.monitor()
        assert (await env.deposit(deposit.id)).status == DepositStatus.DETECTED
        entries = await env.count(JournalEntry)
        for data in (f"dep:cancel:0:{deposit.id}:0", f"dep:cancel_ok:0:{deposit.id}:0"):
            ex = await client.press_data(data)
            assert ex.answer is not None and "can no longer be cancelled" in ex.answer["text"]
        assert (await env.deposit(deposit.id)).status == DepositStatus.DETECTED
        await env.mine_and_monitor(CONFIRMATIONS)
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert await env.count(JournalEntry) == entries + 1
        await _books_ok(env)


# ---------------------------------------------------------------------------------------------- 33


async def test_scenario_33_banned_line_2_upline_is_skipped(db_url: str, chain: LocalChain) -> None:
    async with watch_env(db_url, chain) as env:
        a, _ = await env.depositor(fund=False)
        b, _ = await env.depositor(referrer=a, fund=False, banned=True)
        c, _ = await env.depositor(referrer=b, fund=False)
        d, wallet = await env.depositor(referrer=c)
        deposit = await env.pending(d, "10")
        await env.pay(wallet, "10")
        await _confirm_all(env)
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert [(await env.balances(u)).available for u in (c, b, a)] == [D("0.3"), D(0), D("0.5")]
        async with env.rt.db.session() as session:
            rows = (
                await session.scalars(select(ReferralCommission).order_by(ReferralCommission.depth))
            ).all()
        assert [(r.depth, r.beneficiary_user_id, r.status) for r in rows] == [
            (1, c.id, CommissionStatus.CREDITED),
            (2, b.id, CommissionStatus.SKIPPED),
            (3, a.id, CommissionStatus.CREDITED),
        ]
        assert env.texts(b) == []
        await _books_ok(env)
