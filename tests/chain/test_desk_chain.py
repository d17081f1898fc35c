"""The money desk end to end on anvil through the bot (SPEC §12 scenarios 36, 41 admin halves): a user
withdraws with the finpass, admins approve in Telegram, the payout sender pays exactly one on-chain
Transfer of the net amount to the registered wallet and the user is told with the transaction link."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from sigmatrade import clock
from sigmatrade.bot.callbacks import Adm
from sigmatrade.chain.payout_sender import RunReport, sender_for
from sigmatrade.chain.runtime import active_chain
from sigmatrade.db.models import Payout
from sigmatrade.domain.enums import AdminRole, PayoutStatus, RetryErrorKind
from sigmatrade.ledger import accounts
from sigmatrade.sandbox.chain import LocalChain
from sigmatrade.sandbox.emulator.client import UserClient
from sigmatrade.services import payout_pipeline as pipeline
from tests.chain.test_payouts import setup_wallet
from tests.chain.watch_env import CONFIRMATIONS, WatchEnv, new_account, watch_env
from tests.desk_helpers import balance, set_setting
from tests.e2e.admin.helpers import admin_client
from tests.factories import credit, make_user

pytestmark = pytest.mark.chain
FINPASS = "Abcdefgh2345"
EXPLORER = "https://testnet.bscscan.com"
KEY = base64.b64encode(b"d" * 32).decode()


@pytest.fixture(scope="module")
async def chain() -> AsyncIterator[LocalChain]:
    async with LocalChain() as c:
        await c.deploy_token()
        yield c


async def press(client: UserClient, label: str) -> object:
    clock.travel(timedelta(seconds=1.1))
    return await client.press(label)


async def withdraw(env: WatchEnv, telegram_id: int, balance: str, amount: str) -> tuple[UserClient, str, int]:
    """A verified user (fresh chain wallet) asks for ``amount`` through the bot; returns (client, wallet, payout id)."""
    wallet = new_account().address
    async with env.rt.db.transaction() as session:
        user = await make_user(
            session, telegram_id=telegram_id, wallet=wallet, finpass=FINPASS, language="en"
        )
        await credit(session, user, balance)
    client = env.h.user(telegram_id, "Payee", language_code="en")
    await client.send("/menu")
    await press(client, "💸 Withdraw")
    await press(client, "➕ New withdrawal")
    await client.send(amount)
    await press(client, "✅ Confirm")
    ex = await client.send(FINPASS)
    assert "received" in ex.text.lower() or "request" in ex.text.lower(), ex.text
    async with env.rt.db.session() as session:
        pid = await session.scalar(select(Payout.id).where(Payout.user_id == user.id))
    assert pid is not None
    return client, wallet, int(pid)


async def send_and_confirm(env: WatchEnv) -> tuple[RunReport, RunReport]:
    chain_rt = active_chain(env.rt)
    assert chain_rt is not None
    sent = await sender_for(env.rt, chain_rt).run()
    await env.chain.mine(CONFIRMATIONS)
    confirmed = await sender_for(env.rt, chain_rt).run()
    return sent, confirmed


async def status(env: WatchEnv, payout_id: int) -> str:
    async with env.rt.db.session() as session:
        row = await session.get(Payout, payout_id)
        assert row is not None
        return row.status


async def test_withdraw_approve_pays_exactly_one_transfer(db_url: str, chain: LocalChain) -> None:
    async with watch_env(db_url, chain, encryption_key=KEY, explorer_base_url=EXPLORER) as env:
        await set_setting(env.rt, "withdrawal.fee_percent", Decimal(1))
        await setup_wallet(env.rt, chain)
        start = await chain.block_number()
        client, wallet, pid = await withdraw(env, 7_300_001, "50", "12.50")
        admin = await admin_client(env.h, 7_300_901, role=AdminRole.ADMIN)
        await press(admin, "💸 Withdrawals")
        await press(admin, f"#{pid} · 12.50 USDT")
        ex = await press(admin, "✅ Approve")
        assert "approved" in str(ex.answer)  # type: ignore[attr-defined]
        sent, confirmed = await send_and_confirm(env)
        assert sent.sent == [pid] and confirmed.confirmed == [pid]
        assert await status(env, pid) == PayoutStatus.CONFIRMED
        logs = await chain.transfer_logs(start, await chain.block_number(), to=wallet)
        assert [log.raw_value for log in logs] == [chain.raw("12.37")]
        assert await chain.balance_of(wallet) == chain.raw("12.37")
        note = await client.wait_message("completed")
        assert f"{EXPLORER}/tx/{logs[0].tx_hash}".lower() in str(note.entities).lower()
        # nothing more is ever sent for it
        await send_and_confirm(env)
        assert len(await chain.transfer_logs(start, await chain.block_number(), to=wallet)) == 1


async def test_a_thousand_needs_two_different_admins(db_url: str, chain: LocalChain) -> None:
    async with watch_env(db_url, chain, encryption_key=KEY, explorer_base_url=EXPLORER) as env:
        await setup_wallet(env.rt, chain, usdt="5000")
        start = await chain.block_number()
        _, wallet, pid = await withdraw(env, 7_300_002, "1500", "1000")
        first = await admin_client(env.h, 7_300_911, role=AdminRole.ADMIN)
        second = await admin_client(env.h, 7_300_912, role=AdminRole.EXTENDED_ADMIN)
        view = Adm(sec="wd", act="view", id=pid).pack()
        clock.travel(timedelta(seconds=1.1))
        await first.press_data(view)
        await press(first, "✅ Approve")
        clock.travel(timedelta(seconds=1.1))
        ex = await first.press_data(Adm(sec="wd", act="ok", id=pid).pack())
        assert "different admin" in str(ex.answer)
        sent, _ = await send_and_confirm(env)
        assert sent.sent == [] and await status(env, pid) == PayoutStatus.REQUESTED
        clock.travel(timedelta(seconds=1.1))
        await second.press_data(view)
        await press(second, "✅ Approve")
        sent, confirmed = await send_and_confirm(env)
        assert sent.sent == [pid] and confirmed.confirmed == [pid]
        logs = await chain.transfer_logs(start, await chain.block_number(), to=wallet)
        assert [log.raw_value for log in logs] == [chain.raw("1000")]


async def approved(env: WatchEnv, telegram_id: int, amount: str) -> tuple[UserClient, str, int]:
    """A user's withdrawal approved by an admin through the bot (as in the flow above)."""
    client, wallet, pid = await withdraw(env, telegram_id, "100", amount)
    admin = await admin_client(env.h, telegram_id + 500_000, role=AdminRole.ADMIN)
    clock.travel(timedelta(seconds=1.1))
    await admin.press_data(Adm(sec="wd", act="ok", id=pid).pack())
    assert await status(env, pid) == PayoutStatus.APPROVED
    return client, wallet, pid


async def dead_letter(env: WatchEnv, *pids: int) -> None:
    """The sender fails on the payouts (the wallet lacks USDT) until their retry rows land in the DLQ."""
    chain_rt = active_chain(env.rt)
    assert chain_rt is not None
    report = await sender_for(env.rt, chain_rt).run()
    assert sorted(p for p, _ in report.failed) == sorted(pids)
    clock.travel(timedelta(minutes=2))
    report = await sender_for(env.rt, chain_rt).run(retries_only=True)
    assert sorted(report.dead_lettered) == sorted(pids)
    async with env.rt.db.session() as session:
        for pid in pids:
            row = await session.get(Payout, pid)
            assert row is not None and row.dead_lettered


async def test_dlq_retry_pays_once_and_resolve_returns_the_funds(db_url: str, chain: LocalChain) -> None:
    async with watch_env(db_url, chain, encryption_key=KEY, explorer_base_url=EXPLORER) as env:
        await set_setting(env.rt, "payment_retry.delays_minutes", [1])
        payout_wallet = await setup_wallet(env.rt, chain, usdt="1")
        start = await chain.block_number()
        _, wallet, pid = await approved(env, 7_300_003, "20")
        user2, _, pid2 = await approved(env, 7_300_004, "30")
        await dead_letter(env, pid, pid2)
        ext = await admin_client(env.h, 7_300_921, role=AdminRole.EXTENDED_ADMIN)
        plain = await admin_client(env.h, 7_300_922, role=AdminRole.ADMIN)
        clock.travel(timedelta(seconds=1.1))
        ex = await ext.press_data(Adm(sec="po").pack())
        assert "DLQ</b>: 2" not in ex.text and "DLQ: 2" in ex.text
        ex = await press(ext, "☠️ Dead-letter queue (2)")
        assert f"#{pid} " in ex.text and "insufficient_usdt" in ex.text
        clock.travel(timedelta(seconds=1.1))
        ex = await plain.press_data(Adm(sec="po", act="retry", id=pid).pack())
        assert "insufficient rights" in str(ex.answer).lower()
        await chain.fund(payout_wallet.address, usdt="100")  # the operator tops the wallet up
        clock.travel(timedelta(seconds=1.1))
        await ext.press_data(Adm(sec="po", act="item", id=pid).pack())
        ex = await press(ext, "🔁 Retry")
        assert "back in the pipeline" in str(ex.answer)
        chain_rt = active_chain(env.rt)
        assert chain_rt is not None
        report = await sender_for(env.rt, chain_rt).run(retries_only=True)
        assert report.sent == [pid]
        await chain.mine(CONFIRMATIONS)
        report = await sender_for(env.rt, chain_rt).run()
        assert report.confirmed == [pid]
        logs = await chain.transfer_logs(start, await chain.block_number(), to=wallet)
        assert [log.raw_value for log in logs] == [chain.raw("20")]
        # the other item is resolved as failed: released and the user told
        clock.travel(timedelta(seconds=1.1))
        await ext.press_data(Adm(sec="po", act="item", id=pid2).pack())
        ex = await press(ext, "✖️ Resolve: failed, return the funds")
        assert "go back to the user's available" in ex.text
        ex = await press(ext, "✅ Confirm")
        assert "resolved as failed" in ex.text
        assert await status(env, pid2) == PayoutStatus.FAILED
        note = await user2.wait_message("failed")
        assert "30.00" in note.body
        await send_and_confirm(env)
        assert len(await chain.transfer_logs(start, await chain.block_number(), to=wallet)) == 1


async def test_dlq_resolved_as_paid_by_a_transfer_checked_on_chain(db_url: str, chain: LocalChain) -> None:
    async with watch_env(db_url, chain, encryption_key=KEY, explorer_base_url=EXPLORER) as env:
        await set_setting(env.rt, "payment_retry.delays_minutes", [1])
        payout_wallet = await setup_wallet(env.rt, chain, usdt="5")
        user, wallet, pid = await approved(env, 7_300_005, "12")
        await dead_letter(env, pid)
        await chain.fund(payout_wallet.address, usdt="100")
        wrong = await chain.transfer(payout_wallet, wallet, chain.raw("11"))  # not the net amount
        right = await chain.transfer(payout_wallet, wallet, chain.raw("12"))  # the operator paid by hand
        await chain.mine(CONFIRMATIONS)
        ext = await admin_client(env.h, 7_300_931, role=AdminRole.EXTENDED_ADMIN)
        clock.travel(timedelta(seconds=1.1))
        await ext.press_data(Adm(sec="po", act="item", id=pid).pack())
        ex = await press(ext, "✅ Resolve: paid (transaction link)")
        assert "checked on the chain" in ex.text
        ex = await ext.send("not a link")
        assert "Send the explorer link" in ex.text
        ex = await ext.send(f"{EXPLORER}/tx/{wrong}")
        assert "not this payout's transfer" in ex.text
        assert await status(env, pid) == PayoutStatus.APPROVED
        ex = await ext.send(f"{EXPLORER}/tx/{right}")
        assert "resolved as paid" in ex.text
        assert await status(env, pid) == PayoutStatus.CONFIRMED
        note = await user.wait_message(f"Payout #{pid} completed")  # told as for any confirmed payout
        assert f"{EXPLORER}/tx/{right}" in (note.source_html or "")
        report = await send_and_confirm(env)
        assert report[0].sent == []


async def test_a_paid_payout_flagged_as_a_nonce_conflict_cannot_be_resolved_as_failed(
    db_url: str, chain: LocalChain
) -> None:
    """The state a lagging node once produced: the transfer is mined with status 1, the payout is in the
    DLQ as a nonce conflict. Resolve-as-failed would give the user the money a second time: refused on
    the chain's evidence, the hold stays; resolve-as-paid with its link settles it."""
    async with watch_env(db_url, chain, encryption_key=KEY, explorer_base_url=EXPLORER) as env:
        await setup_wallet(env.rt, chain, usdt="100")
        _, wallet, pid = await approved(env, 7_300_007, "20")
        chain_rt = active_chain(env.rt)
        assert chain_rt is not None
        assert (await sender_for(env.rt, chain_rt).run()).sent == [pid]
        await chain.mine(CONFIRMATIONS)
        failure = await pipeline.fail_attempt(
            env.rt.db, pid, RetryErrorKind.NONCE_CONFLICT, "x", dlq_now=True
        )
        assert failure is not None and failure.in_dlq
        async with env.rt.db.session() as session:
            row = await session.get(Payout, pid)
            assert row is not None and row.tx_hash is not None
            user_id, tx_hash = row.user_id, row.tx_hash
        assert user_id is not None
        sup = await admin_client(env.h, 7_300_941, role=AdminRole.SUPER_ADMIN)
        clock.travel(timedelta(seconds=1.1))
        await sup.press_data(Adm(sec="po", act="item", id=pid).pack())
        await press(sup, "✖️ Resolve: failed, return the funds")
        ex = await press(sup, "✅ Confirm")
        assert "succeeded on the chain" in str(ex.answer)
        assert await status(env, pid) == PayoutStatus.SENT
        assert await balance(env.rt, accounts.held(user_id)) == Decimal(20)
        clock.travel(timedelta(seconds=1.1))
        await sup.press_data(Adm(sec="po", act="item", id=pid).pack())
        await press(sup, "✅ Resolve: paid (transaction link)")
        ex = await sup.send(f"{EXPLORER}/tx/{tx_hash}")
        assert "resolved as paid" in ex.text
        assert await status(env, pid) == PayoutStatus.CONFIRMED
        logs = await chain.transfer_logs(0, await chain.block_number(), to=wallet)
        assert [log.raw_value for log in logs] == [chain.raw("20")]


async def unmatched_transfer(env: WatchEnv, amount: str) -> tuple[str, int]:
    """An unregistered wallet pays the system wallet; after confirmation it waits in the review queue."""
    from sigmatrade.db.models import UnmatchedDeposit

    sender = new_account()
    await chain_fund(env, sender.address, amount)
    await env.pay(sender, amount)
    await env.monitor()
    await env.mine_and_monitor(CONFIRMATIONS)
    async with env.rt.db.session() as session:
        item_id = await session.scalar(
            select(UnmatchedDeposit.id).order_by(UnmatchedDeposit.id.desc()).limit(1)
        )
    assert item_id is not None
    return sender.address, int(item_id)


async def chain_fund(env: WatchEnv, address: str, amount: str) -> None:
    await env.chain.fund(address, usdt=amount)


async def test_unmatched_assign_credits_once_with_commissions(db_url: str, chain: LocalChain) -> None:
    from sigmatrade.db.models import Deposit, ReferralCommission, UnmatchedDeposit
    from sigmatrade.ledger import accounts

    async with watch_env(db_url, chain, encryption_key=KEY, explorer_base_url=EXPLORER) as env:
        referrer, _ = await env.depositor(fund=False)
        payer, _ = await env.depositor(referrer=referrer, fund=False)
        _, item_id = await unmatched_transfer(env, "10")
        admin = await admin_client(env.h, 7_300_941, role=AdminRole.ADMIN)
        ex = await press(admin, "❓ Unmatched deposits")
        assert f"#{item_id} · <code>" not in ex.text and "unknown sender" in ex.text
        await press(admin, f"#{item_id} · 10.00 USDT")
        ex = await press(admin, "👤 Assign to a user")
        assert "send the user" in ex.text
        ex = await admin.send("@nobody_here")
        assert "No such user" in ex.text
        ex = await admin.send(str(payer.telegram_id))
        assert "choose the level" in ex.text
        ex = await press(admin, "1")
        assert "as a level 1 deposit" in ex.text
        confirm = Adm(sec="um", act="asgok", id=item_id, arg=f"{payer.id}-1").pack()
        ex = await press(admin, "✅ Confirm")
        assert "assigned" in ex.text
        clock.travel(timedelta(seconds=1.1))
        ex = await admin.press_data(confirm)  # a late second tap
        assert "no longer open" in str(ex.answer)
        async with env.rt.db.session() as session:
            item = await session.get(UnmatchedDeposit, item_id)
            deposits = (await session.scalars(select(Deposit).where(Deposit.user_id == payer.id))).all()
            commissions = (await session.scalars(select(ReferralCommission))).all()
        assert item is not None and item.status == "assigned"
        assert [(d.status, d.received_amount) for d in deposits] == [("confirmed", Decimal(10))]
        assert [(c.beneficiary_user_id, c.amount) for c in commissions] == [(referrer.id, Decimal("0.3"))]
        balances = await env.balances(payer)
        assert balances.principal == Decimal(10)
        assert (await env.balances(referrer)).available == Decimal("0.3")
        assert accounts.principal(payer.id)
        assert any("Deposit confirmed" in text for text in env.texts(payer))


async def test_unmatched_refund_lands_on_chain_once(db_url: str, chain: LocalChain) -> None:
    from sigmatrade.db.models import UnmatchedDeposit

    async with watch_env(db_url, chain, encryption_key=KEY, explorer_base_url=EXPLORER) as env:
        await setup_wallet(env.rt, chain)
        sender, item_id = await unmatched_transfer(env, "15")
        start = await chain.block_number()
        ext = await admin_client(env.h, 7_300_951, role=AdminRole.EXTENDED_ADMIN)
        plain = await admin_client(env.h, 7_300_952, role=AdminRole.ADMIN)
        clock.travel(timedelta(seconds=1.1))
        ex = await plain.press_data(Adm(sec="um", act="ref", id=item_id).pack())
        assert "insufficient rights" in str(ex.answer).lower()
        clock.travel(timedelta(seconds=1.1))
        await ext.press_data(Adm(sec="um", act="view", id=item_id).pack())
        ex = await press(ext, "↩️ Refund")
        assert "send the note" in ex.text
        ex = await ext.send("sent to the wrong address <b>")
        assert "Refund <code>" not in ex.text and "Note: sent to the wrong address <b>" in ex.text
        ex = await press(ext, "✅ Confirm")
        assert "Refund payout #" in ex.text
        async with env.rt.db.session() as session:
            refund = await session.scalar(select(Payout).where(Payout.unmatched_deposit_id == item_id))
        assert refund is not None and refund.status == PayoutStatus.REQUESTED
        clock.travel(timedelta(seconds=1.1))
        await plain.press_data(Adm(sec="wd", act="ok", id=refund.id).pack())
        sent, confirmed = await send_and_confirm(env)
        assert sent.sent == [refund.id] and confirmed.confirmed == [refund.id]
        await send_and_confirm(env)
        logs = await chain.transfer_logs(start, await chain.block_number(), to=sender)
        assert [log.raw_value for log in logs] == [chain.raw("15")]
        async with env.rt.db.session() as session:
            item = await session.get(UnmatchedDeposit, item_id)
        assert item is not None and item.status == "refunded"
