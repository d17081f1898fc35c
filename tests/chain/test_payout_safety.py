"""Payout sender safety against anvil (issue 9, SPEC §4.6 revision 2): a revert undone by a reorg,
stuck transactions replaced under the gas price cap, dead-lettered payouts out of the in-flight set,
the sender re-checking the payout row before signing, and a wallet change with payouts in flight."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from eth_abi import encode as abi_encode
from sqlalchemy import select, update

from sigmatrade import clock
from sigmatrade.chain import nonces
from sigmatrade.chain.accounts import Account
from sigmatrade.chain.payout_sender import CONFLICT_SECOND_LOOK
from sigmatrade.db import leases
from sigmatrade.db.models import PaymentRetry, Payout, PayoutTransaction
from sigmatrade.domain.enums import PayoutStatus, PayoutTxKind, PayoutTxStatus
from sigmatrade.ledger import accounts, entries
from sigmatrade.ledger.journal import post
from sigmatrade.sandbox.chain import LocalChain, selector
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
    reconcile,
    reconciled,
    seen_twice,
    setup_wallet,
)

pytestmark = pytest.mark.chain


@pytest.fixture(scope="module")
async def chain() -> AsyncIterator[LocalChain]:
    async with LocalChain() as c:
        await c.deploy_token()
        yield c


@pytest.fixture
async def env(db_url: str, chain: LocalChain) -> AsyncIterator[Env]:
    async with open_runtime(payout_settings(db_url, chain)) as (rt, chain_rt):
        wallet = await setup_wallet(rt, chain)
        env = Env(rt, chain_rt, chain, wallet)
        yield env
        await chain.set_automine(True)
        if env.reconcile_at_end:
            await reconciled(env)
    await chain.set_automine(True)
    await chain.set_paused(False)


async def signed_txs(env: Env, payout_id: int) -> list[PayoutTransaction]:
    async with env.db.session() as session:
        rows = (
            await session.scalars(
                select(PayoutTransaction)
                .where(PayoutTransaction.payout_id == payout_id)
                .order_by(PayoutTransaction.id)
            )
        ).all()
    return list(rows)


async def retry_row(env: Env, payout_id: int) -> PaymentRetry | None:
    async with env.db.session() as session:
        row: PaymentRetry | None = await session.scalar(
            select(PaymentRetry).where(PaymentRetry.payout_id == payout_id)
        )
    return row


# ----------------------------------------------------------------------- finding 1: revert + reorg
async def test_revert_undone_by_reorg_pays_once(env: Env) -> None:
    """The transfer reverts (token paused just before it in the same block); the block is reorged out
    and the identical signed bytes succeed in the new block. The revert must not have freed the payout
    for a second transfer with a new nonce."""
    _, payout_id, receiver = await approved_payout(env.db, "15")
    await env.chain.set_automine(False)
    try:
        assert (await env.sender().run()).sent == [payout_id]
        pause = selector("setPaused(bool)") + abi_encode(["bool"], [True])
        await env.chain.send_tx(
            env.chain.deployer, to=env.chain.token_address, data=pause, gas_price=3 * 10**9, wait=False
        )
        await env.mine(1)  # the pause runs first: the transfer reverts in this block
    finally:
        await env.chain.set_automine(True)
    (tx,) = await signed_txs(env, payout_id)
    receipt = await env.chain.rpc.call("eth_getTransactionReceipt", tx.tx_hash)
    assert int(receipt["status"], 16) == 0
    await env.sender().run()  # the revert is not final yet (no confirmation depth)

    # the reverting block is replaced by one holding only the payout's signed bytes: now a success
    await env.chain.reorg(1, [(tx.signed_raw, 0)])
    try:
        receipt = await env.chain.rpc.call("eth_getTransactionReceipt", tx.tx_hash)
        assert int(receipt["status"], 16) == 1
        for _ in range(3):
            clock.travel(timedelta(minutes=1, seconds=1))
            await env.sender().run(retries_only=True)
            await env.sender().run()
            await env.mine(CONFIRMATIONS)
        await env.sender().run()
    finally:
        await env.chain.set_paused(False)
    assert await env.chain.balance_of(receiver) == env.chain.raw("15")  # paid once
    row = await payout_row(env.db, payout_id)
    assert row.status == PayoutStatus.CONFIRMED and row.tx_hash == tx.tx_hash
    assert [t.status for t in await signed_txs(env, payout_id)] == [PayoutTxStatus.MINED_SUCCESS]
    await ledger_ok(env.db)
    await reconciled(env)


async def test_confirmed_revert_retries_and_old_hash_stays_tracked(env: Env) -> None:
    """A revert with the confirmation depth frees the nonce; the retry's transaction is tracked along
    with the reverted one (every hash ever signed stays tracked until the payout is final)."""
    _, payout_id, receiver = await approved_payout(env.db, "4")
    await env.chain.set_automine(False)
    try:
        assert (await env.sender().run()).sent == [payout_id]
        pause = selector("setPaused(bool)") + abi_encode(["bool"], [True])
        await env.chain.send_tx(
            env.chain.deployer, to=env.chain.token_address, data=pause, gas_price=3 * 10**9, wait=False
        )
        await env.mine(1)
    finally:
        await env.chain.set_automine(True)
    await env.chain.set_paused(False)
    await env.mine(CONFIRMATIONS)
    assert (await env.sender().run()).reverted == [payout_id]
    clock.travel(timedelta(minutes=1, seconds=1))
    assert (await env.sender().run(retries_only=True)).sent == [payout_id]
    await env.mine(CONFIRMATIONS)
    assert (await env.sender().run()).confirmed == [payout_id]
    assert [(t.nonce, t.status) for t in await signed_txs(env, payout_id)] == [
        (0, PayoutTxStatus.MINED_REVERTED),
        (1, PayoutTxStatus.MINED_SUCCESS),
    ]
    assert await env.chain.balance_of(receiver) == env.chain.raw("4")
    await ledger_ok(env.db)
    await reconciled(env)


# ------------------------------------------------------------- finding 6: nonce conflicts in flight
async def test_dead_lettered_conflict_frees_its_slot_and_alerts_once(db_url: str, chain: LocalChain) -> None:
    async with open_runtime(payout_settings(db_url, chain, payout_max_in_flight=1)) as (rt, chain_rt):
        env = Env(rt, chain_rt, chain, await setup_wallet(rt, chain))
        _, first, first_receiver = await approved_payout(env.db, "6")
        await chain.set_automine(False)
        try:
            assert (await env.sender().run()).sent == [first]
            await chain.drop_all_pending()
            await chain.send_tx(env.wallet, to=env.wallet.address, nonce=0, wait=False)  # foreign nonce 0
            await env.mine(1)
        finally:
            await chain.set_automine(True)
        assert (await seen_twice(env)).dead_lettered == [first]
        _, second, second_receiver = await approved_payout(env.db, "7")
        for _ in range(4):  # the processor runs every few seconds
            clock.travel(timedelta(seconds=15))
            await env.sender().run()
        await env.mine()
        await env.sender().run()
        assert (await payout_row(env.db, second)).status == PayoutStatus.CONFIRMED
        assert await chain.balance_of(second_receiver) == chain.raw("7")
        row = await payout_row(env.db, first)
        assert row.status == PayoutStatus.SENT and row.dead_lettered
        assert await chain.balance_of(first_receiver) == 0
        alerts = [a for a in await notifications(env.db, "admin_alert") if "Nonce conflict" in a]
        assert len(alerts) == 1
        retry = await retry_row(env, first)
        assert retry is not None and retry.in_dlq and retry.attempt_count == 0
        await ledger_ok(env.db)
        await reconciled(env)
    await reconciled(env)


# ------------------------------------------------------------------- finding 9: wallet change
async def test_payout_in_flight_on_previous_wallet_is_tracked_to_the_end(env: Env) -> None:
    _, payout_id, receiver = await approved_payout(env.db, "9.5")
    await env.chain.set_automine(False)
    try:
        assert (await env.sender().run()).sent == [payout_id]  # pending on the old wallet
    finally:
        await env.chain.set_automine(True)
    new_wallet = await setup_wallet(env.rt, env.chain)  # the operator switches payout wallets
    assert (await env.sender().wallet()) == new_wallet.address
    await env.mine()
    report = await env.sender().run()
    assert report.confirmed == [payout_id] and report.wallet == new_wallet.address
    row = await payout_row(env.db, payout_id)
    assert row.status == PayoutStatus.CONFIRMED and row.from_address == env.wallet.address
    assert await env.chain.balance_of(receiver) == env.chain.raw("9.5")
    await ledger_ok(env.db)
    await reconciled(env)


async def test_signing_crash_on_previous_wallet_is_broadcast_there(env: Env) -> None:
    _, payout_id, receiver = await approved_payout(env.db, "3")
    assert (await env.sender().run()).sent == [payout_id]
    async with env.db.transaction() as session:  # as if the process died before recording the broadcast
        await session.execute(
            update(Payout).where(Payout.id == payout_id).values(status=PayoutStatus.SIGNING)
        )
    await setup_wallet(env.rt, env.chain)
    report = await env.sender().run()
    assert report.recovered == [payout_id]
    await env.mine()
    assert (await env.sender().run()).confirmed == [payout_id]
    assert await env.chain.balance_of(receiver) == env.chain.raw("3")
    await ledger_ok(env.db)
    await reconciled(env)


# --------------------------------------------------------------- finding 7: the row is not trusted
async def test_tampered_payout_rows_are_never_signed(env: Env) -> None:
    """Raw amount inflated, destination swapped, no hold at all: none is signed; each is dead-lettered
    with an alert; an honest payout in the same run is paid."""
    attacker = Account.create().address
    _, inflated, inflated_to = await approved_payout(env.db, "5")
    _, swapped, swapped_to = await approved_payout(env.db, "6")
    _, honest, honest_to = await approved_payout(env.db, "7")
    _, unheld, unheld_to = await approved_payout(env.db, "8")
    async with env.db.transaction() as session:
        await session.execute(
            update(Payout).where(Payout.id == inflated).values(raw_amount=env.chain.raw("500"))
        )
        await session.execute(update(Payout).where(Payout.id == swapped).values(to_address=attacker))
        payout = await session.get(Payout, unheld)
        assert payout is not None and payout.user_id is not None
        await post(session, entries.withdrawal_release(unheld, payout.user_id, payout.amount))
    report = await env.sender().run()
    assert report.sent == [honest]
    assert sorted(report.dead_lettered) == sorted([inflated, swapped, unheld])
    await env.mine()
    await env.sender().run()
    for receiver in (inflated_to, swapped_to, attacker, unheld_to):
        assert await env.chain.balance_of(receiver) == 0
    assert await env.chain.balance_of(honest_to) == env.chain.raw("7")
    for payout_id in (inflated, swapped, unheld):
        row = await payout_row(env.db, payout_id)
        assert row.status == PayoutStatus.APPROVED and row.dead_lettered and row.nonce is None
    assert await count(env.db, PayoutTransaction) == 1
    alerts = await notifications(env.db, "admin_alert")
    assert len([a for a in alerts if "dead-letter" in a]) == 3


async def test_one_payout_failing_to_settle_does_not_stop_the_others(env: Env) -> None:
    first_user, first, _ = await approved_payout(env.db, "5")
    _, second, second_to = await approved_payout(env.db, "6")
    assert (await env.sender().run()).sent == [first, second]
    async with env.db.transaction() as session:  # the first hold vanishes: its settle entry cannot post
        await post(session, entries.withdrawal_release(first, first_user, Decimal(5)))
    await env.mine()
    report = await env.sender().run()
    assert report.confirmed == [second]
    assert (await payout_row(env.db, second)).status == PayoutStatus.CONFIRMED
    assert (await payout_row(env.db, first)).status == PayoutStatus.SENT
    assert await env.chain.balance_of(second_to) == env.chain.raw("6")
    assert await balance(env.db, accounts.held(first_user)) == 0
    await reconciled(env)


async def test_sender_lease_is_renewed_while_a_run_lasts(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    monkeypatch.setattr(nonces, "LEASE_SECONDS", 1.5)
    wallet = env.wallet.address
    async with nonces.sender_slot(env.db, wallet, "replica-a") as slot:
        assert slot
        await asyncio.sleep(4)  # a long run: the lease would have expired twice
        assert not await leases.acquire(env.db, nonces.lease_name(wallet), "replica-b", 60)
        assert slot
    assert await leases.acquire(env.db, nonces.lease_name(wallet), "replica-b", 60)


# ----------------------------------------------------------------------- finding 5: stuck payouts
async def test_stuck_payout_replaced_with_same_nonce_and_paid_once(env: Env) -> None:
    _, payout_id, receiver = await approved_payout(env.db, "11")
    await env.chain.set_automine(False)
    try:
        assert (await env.sender().run()).sent == [payout_id]
        clock.travel(timedelta(minutes=9))
        report = await env.sender().run()
        assert report.replaced == [] and report.stuck == []  # not stuck yet: only rebroadcast
        clock.travel(timedelta(minutes=1, seconds=1))
        report = await env.sender().run()
        first, second = await signed_txs(env, payout_id)
        assert report.replaced == [payout_id] and report.sent == []
        assert second.kind == PayoutTxKind.REPLACEMENT and second.nonce == first.nonce == 0
        assert second.gas_price_wei * 1000 >= first.gas_price_wei * 1125
        assert second.gas_price_wei <= 5 * 10**9  # PAYOUT_MAX_GAS_PRICE_GWEI
        assert (await payout_row(env.db, payout_id)).tx_hash == second.tx_hash
        retry = await retry_row(env, payout_id)
        assert retry is not None and retry.error_kind == "stuck" and retry.attempt_count == 0
        alerts = await notifications(env.db, "admin_alert")
        assert len(alerts) == 1 and f"#{payout_id}" in alerts[0] and "stuck" in alerts[0]
        await env.mine(1 + CONFIRMATIONS)
    finally:
        await env.chain.set_automine(True)
    report = await env.sender().run()
    assert report.confirmed == [payout_id]
    row = await payout_row(env.db, payout_id)
    assert row.status == PayoutStatus.CONFIRMED and row.tx_hash == second.tx_hash
    assert [t.status for t in await signed_txs(env, payout_id)] == [
        PayoutTxStatus.SUPERSEDED,
        PayoutTxStatus.MINED_SUCCESS,
    ]
    assert await env.chain.balance_of(receiver) == env.chain.raw("11")
    retry = await retry_row(env, payout_id)
    assert retry is not None and retry.resolved and retry.resolution == "succeeded"
    await ledger_ok(env.db)
    await reconciled(env)


async def test_stuck_payout_at_the_gas_price_cap_is_counted_and_alerted(
    db_url: str, chain: LocalChain
) -> None:
    settings = payout_settings(db_url, chain, payout_max_gas_price_gwei=Decimal(1))  # anvil's price
    async with open_runtime(settings) as (rt, chain_rt):
        env = Env(rt, chain_rt, chain, await setup_wallet(rt, chain))
        _, payout_id, receiver = await approved_payout(env.db, "12")
        await chain.set_automine(False)
        try:
            assert (await env.sender().run()).sent == [payout_id]
            for attempt in range(3):
                clock.travel(timedelta(minutes=10, seconds=1))
                report = await env.sender().run()
                retry = await retry_row(env, payout_id)
                assert retry is not None and retry.error_kind == "stuck"
                assert retry.attempt_count == attempt
                assert report.stuck == [payout_id] and report.replaced == []
            assert await count(env.db, PayoutTransaction) == 1  # never above the cap
            alerts = await notifications(env.db, "admin_alert")
            assert len(alerts) == 1 and "cap" in alerts[0] and f"#{payout_id}" in alerts[0]
            row = await payout_row(env.db, payout_id)
            assert row.status == PayoutStatus.SENT and row.nonce == 0 and not row.dead_lettered
            await env.mine(1 + CONFIRMATIONS)
        finally:
            await chain.set_automine(True)
        assert (await env.sender().run()).confirmed == [payout_id]
        assert await chain.balance_of(receiver) == chain.raw("12")
        await ledger_ok(env.db)
        await reconciled(env)
    await reconciled(env)


# ------------------------------------------------------------- reconciliation (payout side, §4.7)
async def test_payout_reconciliation_names_unsettled_and_mismatched_transactions(env: Env) -> None:
    start = await env.chain.block_number()
    ids = [(await approved_payout(env.db, amount))[1] for amount in ("5", "6.5")]
    assert (await env.sender().run()).sent == ids
    await env.mine()
    assert (await env.sender().run()).confirmed == ids
    result = await reconcile(env, from_block=start)
    assert result.ok, result.render()
    assert result.outgoing_chain == result.outgoing_books == Decimal("11.5")
    assert len(result.outgoing_transactions) == 2 and result.fees_wei > 0
    assert result.wallets == [env.wallet.address.lower()]

    # money leaves the payout wallet outside the sender: named, not OK
    stray = await env.chain.transfer(env.wallet, Account.create().address, env.chain.raw("1"))
    await env.mine()
    result = await reconcile(env, from_block=start)
    assert not result.ok and result.unsettled == [stray.lower()]
    assert result.missing == result.mismatched == []
    assert stray.lower() in result.render() and "unsettled transfer" in result.render()

    # the books say another amount was paid by a transaction than the chain shows
    async with env.db.transaction() as session:
        await session.execute(
            update(Payout).where(Payout.id == ids[0]).values(raw_amount=env.chain.raw("50"))
        )
    row = await payout_row(env.db, ids[0])
    result = await reconcile(env, from_block=start)
    assert result.mismatched == [str(row.tx_hash).lower()]
    assert f"payouts #{ids[0]}" in result.render() and "amount differs" in result.render()

    # a payout in flight (mined, not yet confirmed by the tracker) is not a difference; the stray
    # transfer stops signing until the operator accepts the wallet's history (chain/nonces.py)
    async with env.db.transaction() as session:
        await nonces.accept(
            session,
            env.wallet.address,
            await env.chain_rt.provider.get_transaction_count(env.wallet.address, "pending"),
        )
    _, pending, _ = await approved_payout(env.db, "2")
    assert (await env.sender().run()).sent == [pending]
    await env.mine()
    result = await reconcile(env, from_block=start)
    (in_flight,) = await signed_txs(env, pending)
    assert result.in_flight == [in_flight.tx_hash.lower()] and result.unsettled == [stray.lower()]
    assert "in flight" in result.render()

    # a settled payout whose transaction moved nothing from a payout wallet: missing
    async with env.db.transaction() as session:
        await session.execute(update(Payout).where(Payout.id == ids[1]).values(tx_hash="0x" + "ab" * 32))
    result = await reconcile(env, from_block=start)
    assert result.missing == ["0x" + "ab" * 32] and f"payouts #{ids[1]}" in result.render()
    env.reconcile_at_end = False  # the stray transfer and the tampered rows stay differences


async def test_payout_reconciliation_catches_a_double_payment(env: Env) -> None:
    """The double payment of finding 1 seen from the chain: two transfers for one settled payout."""
    start = await env.chain.block_number()
    _, payout_id, receiver = await approved_payout(env.db, "3")
    assert (await env.sender().run()).sent == [payout_id]
    await env.mine()
    assert (await env.sender().run()).confirmed == [payout_id]
    assert (await reconcile(env, from_block=start)).ok
    second = await env.chain.transfer(env.wallet, receiver, env.chain.raw("3"))  # paid again
    await env.mine()
    result = await reconcile(env, from_block=start)
    assert not result.ok and result.unsettled == [second.lower()]
    env.reconcile_at_end = False  # the second transfer stays a difference


async def test_nonce_conflict_after_a_revert_is_still_detected(env: Env) -> None:
    """The reverted transaction of an earlier nonce stays tracked; it must not hide a foreign use of
    the payout's current nonce."""
    _, payout_id, receiver = await approved_payout(env.db, "4")
    await env.chain.set_automine(False)
    try:
        assert (await env.sender().run()).sent == [payout_id]
        pause = selector("setPaused(bool)") + abi_encode(["bool"], [True])
        await env.chain.send_tx(
            env.chain.deployer, to=env.chain.token_address, data=pause, gas_price=3 * 10**9, wait=False
        )
        await env.mine(1 + CONFIRMATIONS)
    finally:
        await env.chain.set_automine(True)
    await env.chain.set_paused(False)
    assert (await env.sender().run()).reverted == [payout_id]
    clock.travel(timedelta(minutes=1, seconds=1))
    await env.chain.set_automine(False)
    try:
        assert (await env.sender().run(retries_only=True)).sent == [payout_id]  # nonce 1, pending
        await env.chain.drop_all_pending()
        await env.chain.send_tx(env.wallet, to=env.wallet.address, nonce=1, wait=False)  # foreign nonce 1
        await env.mine(1)
    finally:
        await env.chain.set_automine(True)
    report = await seen_twice(env)
    assert report.dead_lettered == [payout_id] and report.rebroadcast == []
    row = await payout_row(env.db, payout_id)
    assert row.dead_lettered and row.nonce == 1
    assert await env.chain.balance_of(receiver) == 0
    await ledger_ok(env.db)
    report = await reconciled(env)
    # nothing left the wallet in tokens, but the reverted transfer paid its gas: reported apart
    assert report.outgoing_transactions == {} and report.fees_wei > 0


async def test_settled_by_an_older_nonce_alerts_to_cancel_the_open_one(env: Env) -> None:
    """A reorg deeper than the confirmation depth undoes a confirmed revert after the retry was sent
    with the next nonce: the payout is settled by the old bytes and admins are told to cancel the open
    nonce (the newer transfer must not be mined too)."""
    _, payout_id, _ = await approved_payout(env.db, "4")
    await env.chain.set_automine(False)
    try:
        assert (await env.sender().run()).sent == [payout_id]
        pause = selector("setPaused(bool)") + abi_encode(["bool"], [True])
        await env.chain.send_tx(
            env.chain.deployer, to=env.chain.token_address, data=pause, gas_price=3 * 10**9, wait=False
        )
        await env.mine(1)
        unpause = selector("setPaused(bool)") + abi_encode(["bool"], [False])
        await env.chain.send_tx(env.chain.deployer, to=env.chain.token_address, data=unpause, wait=False)
        await env.mine(CONFIRMATIONS)
        assert (await env.sender().run()).reverted == [payout_id]
        clock.travel(timedelta(minutes=1, seconds=1))
        assert (await env.sender().run(retries_only=True)).sent == [payout_id]  # nonce 1, pending
        old = (await signed_txs(env, payout_id))[0]
        await env.chain.drop_all_pending()
        await env.chain.reorg(CONFIRMATIONS + 1, [(old.signed_raw, 0)])  # the old bytes now succeed
    finally:
        await env.chain.set_automine(True)
    report = await env.sender().run()
    assert report.confirmed == [payout_id]
    row = await payout_row(env.db, payout_id)
    assert row.status == PayoutStatus.CONFIRMED and row.tx_hash == old.tx_hash
    alerts = [a for a in await notifications(env.db, "admin_alert") if "earlier transaction" in a]
    assert len(alerts) == 1 and "nonce 1" in alerts[0]
    await ledger_ok(env.db)


async def test_endpoint_without_receipts_does_not_fake_a_nonce_conflict(
    db_url: str, chain: LocalChain
) -> None:
    """An endpoint answering null for receipts while its nonce count has moved on: our own mined
    transfer is not a foreign use of the nonce; the payout waits and settles once receipts come."""
    proxy = await RpcProxy(chain.url).start()
    try:
        async with open_runtime(payout_settings(db_url, chain, bsc_rpc_urls=proxy.url)) as (rt, chain_rt):
            env = Env(rt, chain_rt, chain, await setup_wallet(rt, chain))
            _, payout_id, receiver = await approved_payout(env.db, "5")
            proxy.null_results.add("eth_getTransactionReceipt")
            assert (await env.sender().run()).sent == [payout_id]
            await env.mine()
            report = await env.sender().run()
            assert report.dead_lettered == [] and report.confirmed == []
            row = await payout_row(env.db, payout_id)
            assert row.status == PayoutStatus.SENT and not row.dead_lettered
            assert await notifications(env.db, "admin_alert") == []
            proxy.null_results.clear()
            assert (await env.sender().run()).confirmed == [payout_id]
            assert await chain.balance_of(receiver) == chain.raw("5")
            await ledger_ok(env.db)
            await reconciled(env)
    finally:
        await proxy.stop()


@contextlib.asynccontextmanager
async def two_endpoints(db_url: str, chain: LocalChain) -> AsyncIterator[tuple[Env, RpcProxy, RpcProxy]]:
    """A payout runtime reading the chain through two proxies, the first ranked first."""
    async with (
        RpcProxy(chain.url) as first,
        RpcProxy(chain.url) as second,
        open_runtime(payout_settings(db_url, chain, bsc_rpc_urls=f"a={first.url},b={second.url}")) as runtime,
    ):
        rt, chain_rt = runtime
        yield Env(rt, chain_rt, chain, await setup_wallet(rt, chain)), first, second


@contextlib.asynccontextmanager
async def mined_behind_two_endpoints(
    db_url: str, chain: LocalChain
) -> AsyncIterator[tuple[Env, RpcProxy, RpcProxy, int, str]]:
    """A payout of 5 sent and mined, the runtime reading the chain through two proxies; yields (env, the
    first-ranked proxy, the second, payout id, receiver). After the test's checks: settled once, books
    reconciled."""
    async with two_endpoints(db_url, chain) as (env, first, second):
        _, payout_id, receiver = await approved_payout(env.db, "5")
        assert (await env.sender().run()).sent == [payout_id]
        await env.mine()
        yield env, first, second, payout_id, receiver
        for proxy in (first, second):
            proxy.null_results.clear()
            proxy.receipt_status = None
        assert (await env.sender().run()).confirmed == [payout_id]
        assert await chain.balance_of(receiver) == chain.raw("5")
        await ledger_ok(env.db)
        await reconciled(env)


async def test_a_lagging_first_endpoint_does_not_turn_a_paid_payout_into_a_nonce_conflict(
    db_url: str, chain: LocalChain
) -> None:
    """The first endpoint has not indexed the transfer (null receipt and transaction) while its nonce
    count moved on; the second knows it as mined. No conflict is declared (it was, from the first
    endpoint alone, and an admin's Resolve-as-failed then paid the user twice): the payout waits and
    settles once."""
    async with mined_behind_two_endpoints(db_url, chain) as (env, lagging, _, payout_id, _):
        lagging.null_results |= {"eth_getTransactionReceipt", "eth_getTransactionByHash"}
        assert (await env.sender().run()).dead_lettered == []
        row = await payout_row(env.db, payout_id)
        assert row.status == PayoutStatus.SENT and not row.dead_lettered
        assert await retry_row(env, payout_id) is None
        assert await notifications(env.db, "admin_alert") == []
        # still undecided PAYOUT_STUCK_MINUTES after signing: admins are told, once
        clock.travel(timedelta(minutes=env.rt.config.payout_stuck_minutes))
        for _ in range(2):
            assert (await env.sender().run()).dead_lettered == []
        (alert,) = await notifications(env.db, "admin_alert")
        assert (
            f"Payout #{payout_id}: the RPC endpoints do not settle it" in alert and "nonce_conflict" in alert
        )


async def test_a_status_0_receipt_from_one_node_never_unbinds_a_paid_nonce(
    db_url: str, chain: LocalChain
) -> None:
    """The first endpoint lies that the mined transfer reverted; the second serves its status 1. The
    nonce is not unbound (a new transfer would be signed and the user paid twice): the payout settles
    once on the honest evidence."""
    async with mined_behind_two_endpoints(db_url, chain) as (env, liar, _, payout_id, _):
        liar.receipt_status = 0
        report = await env.sender().run()
        assert report.reverted == [] and report.sent == [] and report.confirmed == []
        row = await payout_row(env.db, payout_id)
        assert row.status == PayoutStatus.SENT and row.nonce is not None
        assert len(await signed_txs(env, payout_id)) == 1


async def test_with_the_honest_endpoint_down_a_lagging_or_lying_one_decides_nothing(
    db_url: str, chain: LocalChain
) -> None:
    """The second endpoint cools down (rate limits are common): the first, lagging (null receipt and
    transaction) or lying (status 0), must not declare a conflict nor unbind the nonce on its own; both
    did when only the endpoints up at that moment were asked."""
    async with mined_behind_two_endpoints(db_url, chain) as (env, first, _, payout_id, _):
        second = env.chain_rt.provider.endpoints[1]
        second.down_until = env.chain_rt.provider.clock() + 10_000
        first.null_results |= {"eth_getTransactionReceipt", "eth_getTransactionByHash"}
        assert (await env.sender().run()).dead_lettered == []
        first.null_results.clear()
        first.receipt_status = 0
        report = await env.sender().run()
        assert report.reverted == [] and report.sent == []
        row = await payout_row(env.db, payout_id)
        assert (row.status, row.dead_lettered) == (PayoutStatus.SENT, False)
        assert len(await signed_txs(env, payout_id)) == 1
        second.down_until = None


async def test_one_nodes_status_1_never_settles_a_transfer_that_reverted(
    db_url: str, chain: LocalChain
) -> None:
    """The transfer reverted on the chain (token paused); the first endpoint lies "status 1". The payout
    is not settled while the second endpoint knows the revert; it reverts on the honest evidence."""
    async with two_endpoints(db_url, chain) as (env, liar, _):
        _, payout_id, receiver = await approved_payout(env.db, "4")
        await chain.set_automine(False)
        try:
            assert (await env.sender().run()).sent == [payout_id]
            pause = selector("setPaused(bool)") + abi_encode(["bool"], [True])
            await chain.send_tx(
                chain.deployer, to=chain.token_address, data=pause, gas_price=3 * 10**9, wait=False
            )
            await env.mine(1)
        finally:
            await chain.set_automine(True)
        await chain.set_paused(False)
        await env.mine(CONFIRMATIONS)
        liar.receipt_status = 1
        report = await env.sender().run()
        assert report.confirmed == [] and report.reverted == []
        assert (await payout_row(env.db, payout_id)).status == PayoutStatus.SENT
        liar.receipt_status = None
        assert (await env.sender().run()).reverted == [payout_id]
        assert await chain.balance_of(receiver) == 0
        await ledger_ok(env.db)


async def test_resolve_as_paid_needs_every_answering_endpoint_to_know_the_success(
    db_url: str, chain: LocalChain
) -> None:
    """The admin names the payout's real transfer; the second endpoint says it reverted. One node's
    receipt never settles a payout: the transfer is accepted only once every answer agrees."""
    from sigmatrade.chain.payout_check import paid_by

    async with mined_behind_two_endpoints(db_url, chain) as (env, _, second, payout_id, _):
        row = await payout_row(env.db, payout_id)
        assert row.tx_hash is not None
        second.receipt_status = 0
        assert await paid_by(env.chain_rt, row, row.tx_hash, {env.wallet.address}) is None
        second.receipt_status = None
        accepted = await paid_by(env.chain_rt, row, row.tx_hash, {env.wallet.address})
        assert accepted is not None and accepted.tx_hash == row.tx_hash.lower()


async def test_one_url_whose_node_has_not_indexed_the_transfer_yet_fakes_no_conflict(
    db_url: str, chain: LocalChain
) -> None:
    """One RPC URL (often a balancer over nodes at different heights) answers null for our mined
    transfer while its nonce count moved on: nothing is declared on the first sighting; the node
    catches up before the second look and the payout settles once."""
    proxy = await RpcProxy(chain.url).start()
    try:
        async with open_runtime(payout_settings(db_url, chain, bsc_rpc_urls=proxy.url)) as (rt, chain_rt):
            env = Env(rt, chain_rt, chain, await setup_wallet(rt, chain))
            _, payout_id, receiver = await approved_payout(env.db, "5")
            assert (await env.sender().run()).sent == [payout_id]
            await env.mine()
            proxy.null_results |= {"eth_getTransactionReceipt", "eth_getTransactionByHash"}
            assert (await env.sender().run()).dead_lettered == []
            proxy.null_results.clear()
            clock.travel(CONFLICT_SECOND_LOOK)
            assert (await env.sender().run()).confirmed == [payout_id]
            assert (await payout_row(env.db, payout_id)).dead_lettered is False
            assert await chain.balance_of(receiver) == chain.raw("5")
            await ledger_ok(env.db)
            await reconciled(env)
    finally:
        await proxy.stop()


async def test_a_head_ahead_on_one_endpoint_does_not_settle_a_payout_early(
    db_url: str, chain: LocalChain
) -> None:
    """The first-ranked endpoint reports a head far ahead of the chain (a lying node, or one on a
    fork): the payout mined one block ago is not deep enough on the other endpoint, so it is not
    settled yet. The depth used to come from one endpoint's head and settled it at once."""
    async with two_endpoints(db_url, chain) as (env, first, _second):
        _, payout_id, receiver = await approved_payout(env.db, "5")
        assert (await env.sender().run()).sent == [payout_id]
        first.head_lag = -3 * CONFIRMATIONS
        await env.mine(1)
        assert (await env.sender().run()).confirmed == []
        assert (await payout_row(env.db, payout_id)).status == PayoutStatus.SENT
        await env.mine(CONFIRMATIONS)
        assert (await env.sender().run()).confirmed == [payout_id]
        assert await chain.balance_of(receiver) == chain.raw("5")
        first.head_lag = 0
        await ledger_ok(env.db)
        await reconciled(env)
