"""Acceptance scenario 35 with commissions produced by the real deposit confirmation (SPEC §12).

Chain alice → bob → carol → dave. Carol and dave activate level 1 through the bot; the deposits are
confirmed by ``deposit_lifecycle.confirm_deposit`` (the step the chain monitor runs), which posts the
principal and the uplines' commissions. The referral screens then show exactly those numbers; the test
ends with ``ledger check`` and ``audit verify``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from sigmatrade import clock
from sigmatrade.db.models import ChainTransfer, Deposit, LedgerAccount, User
from sigmatrade.domain.enums import DepositStatus
from sigmatrade.domain.money import amount_to_raw
from sigmatrade.ledger import accounts
from sigmatrade.ledger.check import run_check
from sigmatrade.sandbox.emulator.client import Exchange, UserClient
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import audit, deposit_lifecycle, deposit_matching, settings
from tests.factories import make_user, random_wallet


async def press(client: UserClient, label: str) -> Exchange:
    clock.travel(timedelta(seconds=2.1))  # past the double-tap window, under the update limit
    return await client.press(label)


async def send(client: UserClient, text: str) -> Exchange:
    clock.travel(timedelta(seconds=2.1))
    return await client.send(text)


async def _activate(client: UserClient) -> None:
    await send(client, "/menu")
    await press(client, "💼 Deposits")
    await press(client, "Level 1")
    ex = await press(client, "🚀 Activate level 1")
    assert "10.00 USDT" in ex.text


async def _confirm(h: Harness, user: User, system_wallet: str) -> None:
    """The chain monitor's confirmation of the user's pending deposit by an exact transfer."""
    store = h.rt.store
    async with h.rt.db.transaction() as session:
        deposit = await session.scalar(
            select(Deposit).where(Deposit.user_id == user.id, Deposit.status == DepositStatus.PENDING)
        )
        assert deposit is not None
        now = clock.now()
        transfer = ChainTransfer(
            chain_id=56,
            token_address=h.rt.config.usdt_contract_address,
            tx_hash="0x" + secrets.token_hex(32),
            log_index=0,
            transfer_key=secrets.token_hex(32),
            block_number=1000 + deposit.id,
            block_hash="0x" + secrets.token_hex(32),
            from_address=user.wallet_address,
            to_address=system_wallet,
            raw_value=amount_to_raw(Decimal(10), 18),
            amount=Decimal(10),
            match_status="matched",
            user_id=user.id,
            deposit_id=deposit.id,
            detected_at=now,
        )
        session.add(transfer)
        await session.flush()
        done = await deposit_lifecycle.confirm_deposit(
            session,
            deposit_id=deposit.id,
            transfer=transfer,
            from_status=DepositStatus.PENDING,
            terms=await deposit_matching.load_confirmation_terms(store),
            now=now,
        )
        assert done is not None and len(done.commissions) >= 1


async def _available(h: Harness, user_id: int) -> Decimal:
    async with h.rt.db.session() as session:
        value = await session.scalar(
            select(LedgerAccount.balance).where(LedgerAccount.code == accounts.available(user_id))
        )
    return value if value is not None else Decimal(0)


async def test_s35_stats_lists_commissions_and_boards_from_real_confirmations(harness: Harness) -> None:
    h = harness
    system_wallet = random_wallet()
    async with h.rt.db.transaction() as session:
        await settings.write(session, "deposit.system_wallet_address", system_wallet, None)
        await settings.write(session, "throttle.updates_per_minute", 10_000, None)
        alice = await make_user(session, telegram_id=3501, username="alice", language="en")
        bob = await make_user(session, telegram_id=3502, username="bob", language="en", referrer=alice)
        carol = await make_user(session, telegram_id=3503, username="carol", language="en", referrer=bob)
        dave = await make_user(session, telegram_id=3504, username="dave", language="en", referrer=carol)
    h.rt.store.invalidate()
    for user, name in ((carol, "Carol"), (dave, "Dave")):
        await _activate(h.user(user.telegram_id, name, language_code="en", username=name.lower()))
        await _confirm(h, user, system_wallet)
    # dave's 10: carol 3% 0.30, bob 2% 0.20, alice 5% 0.50; carol's 10: bob 0.30, alice 0.20.
    assert [await _available(h, u.id) for u in (alice, bob, carol, dave)] == [
        Decimal("0.70"), Decimal("0.50"), Decimal("0.30"), Decimal(0)
    ]  # fmt: skip

    client = h.user(3501, "Alice", language_code="en", username="alice")
    await send(client, "/menu")
    ex = await press(client, "👥 Referrals")
    assert "Level 1: 1 (verified 1) · earned 0.00 USDT" in ex.text
    assert "Level 2: 1 (verified 1) · earned 0.20 USDT" in ex.text
    assert "Level 3: 1 (verified 1) · earned 0.50 USDT" in ex.text
    assert "Total earned: 0.70 USDT" in ex.text
    ex = await press(client, "👥 Referral lists")
    assert "Referrals — level 1 (1)" in ex.text and "@bob · joined" in ex.text
    ex = await press(client, "Level 3")
    assert "@dave · joined" in ex.text and "earned 0.50 USDT" in ex.text
    await press(client, "◀️ Back")
    ex = await press(client, "💰 Commissions")
    assert "Commissions (2)" in ex.text
    assert "from @dave (level 3)\n10.00 USDT × 5% = 0.50 USDT · ✅ credited" in ex.text
    assert "from @carol (level 2)\n10.00 USDT × 2% = 0.20 USDT · ✅ credited" in ex.text
    assert ex.text.index("@dave") < ex.text.index("@carol")  # newest first
    await press(client, "◀️ Back")
    ex = await press(client, "🏆 Leaderboard")
    assert "🥇 @alice — 3" in ex.text and "🥈 @bob — 2" in ex.text and "🥉 @carol — 1" in ex.text
    assert "Your rank: #1 of 3 — 3" in ex.text
    ex = await press(client, "By earnings")
    assert "🥇 @alice — 0.70 USDT" in ex.text and "🥈 @bob — 0.50 USDT" in ex.text
    assert "🥉 @carol — 0.30 USDT" in ex.text

    viewer = h.user(3503, "Carol", language_code="en", username="carol")
    await send(viewer, "/menu")
    await press(viewer, "👥 Referrals")
    ex = await press(viewer, "🏆 Leaderboard")
    assert "Your rank: #3 of 3 — 1" in ex.text
    ex = await press(viewer, "By earnings")
    assert "Your rank: #3 of 3 — 0.30 USDT" in ex.text

    async with h.rt.db.session() as session:
        report = await run_check(session)
        assert report.ok, report.render()
        verified = await audit.verify(session)
        assert verified.ok, verified.render()
