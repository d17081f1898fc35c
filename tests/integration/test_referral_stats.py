"""Referral statistics, leaderboards and the merged history at the service level (SPEC §3.4.6–§3.4.7,
§5.6; scenario 35). Rows are written the way the real services write them: confirmed deposits with
their principal entry and commissions through ``deposit_lifecycle.credit_commissions``, accruals
with their ledger entry, payouts with their hold / settle entries. Every test ends with ``ledger check``.

The seeding helpers here are shared by tests/e2e/test_referrals.py and tests/e2e/test_history.py.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.models import Deposit, Payout, RewardAccrual, RewardSession, User
from sigmatrade.domain.enums import DepositSource, DepositStatus, PayoutStatus
from sigmatrade.ledger import entries
from sigmatrade.ledger.check import run_check
from sigmatrade.ledger.journal import post
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import history, referrals
from sigmatrade.services.deposit_lifecycle import credit_commissions
from tests.factories import credit, make_payout, make_user

RATES = (Decimal(3), Decimal(2), Decimal(5))
D = Decimal


# ------------------------------------------------------------------------------------------ seeding
async def seed_deposit(
    session: AsyncSession,
    user: User,
    amount: str = "10",
    *,
    level: int = 1,
    status: DepositStatus = DepositStatus.CONFIRMED,
) -> Deposit:
    """A deposit as the confirmation step leaves it: principal entry + uplines' commissions."""
    now = clock.now()
    value = D(amount)
    confirmed = status in (DepositStatus.CONFIRMED, DepositStatus.COMPLETED)
    deposit = Deposit(
        user_id=user.id,
        level=level,
        amount=value,
        cap_amount=value * 5 if level == 1 else None,
        status=status,
        source=DepositSource.USER,
        expires_at=now + timedelta(hours=24),
        received_amount=value if confirmed else None,
        tx_hash="0x" + secrets.token_hex(32) if confirmed else None,
        block_number=100 if confirmed else None,
        detected_at=now if confirmed else None,
        confirmed_at=now if confirmed else None,
        accrual_period_seconds=86_400 if confirmed else None,
    )
    session.add(deposit)
    await session.flush()
    if confirmed:
        await post(session, entries.deposit_confirmed(f"seed-{deposit.id}", deposit.id, user.id, value))
        await credit_commissions(session, deposit, user, RATES)
    return deposit


async def seed_reward_session(session: AsyncSession) -> RewardSession:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    rs = RewardSession(
        name="Test session",
        rate_level_1=D(1),
        rate_level_2=D(1),
        rate_level_3=D(1),
        rate_level_4=D(1),
        rate_level_5=D(1),
        starts_at=start,
        ends_at=start + timedelta(days=36_500),
    )
    session.add(rs)
    await session.flush()
    return rs


async def seed_accrual(
    session: AsyncSession, deposit: Deposit, rs: RewardSession, period: int, amount: str, at: datetime
) -> RewardAccrual:
    value = D(amount)
    posted = await post(session, entries.reward_accrual(deposit.id, rs.id, period, deposit.user_id, value))
    row = RewardAccrual(
        deposit_id=deposit.id,
        session_id=rs.id,
        period_index=period,
        accrued_at_period_end=at,
        user_id=deposit.user_id,
        level=deposit.level,
        base_amount=deposit.amount,
        rate=rs.rate_for(deposit.level),
        amount=value,
        trimmed=False,
        journal_entry_id=posted.entry.id,
    )
    session.add(row)
    deposit.accrued_total = deposit.accrued_total + value
    await session.flush()
    return row


async def seed_payout(
    session: AsyncSession, user: User, amount: str, status: PayoutStatus = PayoutStatus.REQUESTED
) -> Payout:
    """A withdrawal with its hold entry (the balance is credited first); settled when confirmed."""
    value = D(amount)
    await credit(session, user, value)
    payout = await make_payout(session, user, value)
    await post(session, entries.withdrawal_hold(payout.id, user.id, value))
    if status == PayoutStatus.CONFIRMED:
        await post(session, entries.payout_settled(payout.id, user.id, value, value, D(0)))
        payout.tx_hash = "0x" + secrets.token_hex(32)
        payout.sent_at = payout.confirmed_at = clock.now()
    elif status in (PayoutStatus.CANCELLED, PayoutStatus.REJECTED):
        await post(session, entries.withdrawal_release(payout.id, user.id, value))
    payout.status = status
    await session.flush()
    return payout


async def assert_books_ok(h: Harness) -> None:
    async with h.rt.db.session() as session:
        report = await run_check(session)
    assert report.ok, report.render()


# ------------------------------------------------------------------------------------------ tests
def test_rank_values_competition_ranking() -> None:
    values = {5: D(2), 1: D(3), 3: D(2), 9: D(1), 4: D(0), 2: D(2)}
    assert referrals.rank_values(values) == [
        (1, 1, D(3)),
        (2, 2, D(2)),  # ties share the place, the earlier user (smaller id) first
        (2, 3, D(2)),
        (2, 5, D(2)),
        (5, 9, D(1)),  # competition ranking skips the shared places; zero values are not ranked
    ]


async def test_overview_counts_and_earnings_per_depth(harness: Harness) -> None:
    """A→B→C→D plus unverified and banned direct referrals: counts, verified, earned per depth."""
    async with harness.rt.db.transaction() as s:
        a = await make_user(s, username="alice")
        b = await make_user(s, referrer=a)
        c = await make_user(s, referrer=b)
        d = await make_user(s, referrer=c)
        await make_user(s, referrer=a, verified=False)
        await make_user(s, referrer=a, banned=True)
        await seed_deposit(s, b, "50", level=1)  # a: depth 1, 3 % of 50 = 1.5
        await seed_deposit(s, c, "100", level=1)  # a: depth 2, 2 % = 2; b: depth 1, 3 % = 3
        await seed_deposit(s, d, "10", level=1)  # a: depth 3, 5 % = 0.5
    async with harness.rt.db.session() as s:
        ov = await referrals.overview(s, harness.rt, a)
        ov_b = await referrals.overview(s, harness.rt, b)
    assert [(x.depth, x.total, x.verified) for x in ov.depths] == [(1, 3, 2), (2, 1, 1), (3, 1, 1)]
    assert [x.earned for x in ov.depths] == [D("1.5"), D(2), D("0.5")]
    assert ov.total_earned == D(4)
    assert ov.verified_direct == 1  # the banned one is verified but does not count
    assert ov.link == f"https://t.me/{harness.rt.bot_username}?start={a.referral_code}"
    assert ov.rates == RATES and not ov.inactive
    assert ov_b.total_earned == D(
        "3.2"
    )  # 3 % of 100 + 2 % of 10 and [x.total for x in ov_b.depths] == [1, 1, 0]
    await assert_books_ok(harness)


async def test_skipped_commissions_are_listed_but_not_earned(harness: Harness) -> None:
    async with harness.rt.db.transaction() as s:
        a = await make_user(s)
        b = await make_user(s, referrer=a)
        a_row = await s.get(User, a.id)
        assert a_row is not None
        a_row.earnings_blocked = True
        await seed_deposit(s, b, "10")
    async with harness.rt.db.session() as s:
        ov = await referrals.overview(s, harness.rt, a)
        page = await referrals.commissions_page(s, a.id, 1)
        board = await referrals.leaderboard(s, a.id, referrals.METRIC_EARNED)
        hist = await history.history(s, a.id, history.ALL, 1, UTC)
    assert ov.total_earned == 0
    assert [(c.status, c.skip_reason, c.amount) for c in page.items] == [
        ("skipped", "earnings_blocked", D("0.3"))
    ]
    assert board.me is None and board.top == []
    assert hist.items == [] and hist.totals.referral == 0


async def test_leaderboards_rank_ties_and_own_rank_outside_top(harness: Harness) -> None:
    """12 referrers with 12..1 referrals (two share 5); the viewer (1 + the payer = 2) ties 11th of 12."""
    async with harness.rt.db.transaction() as s:
        counts = [12, 11, 10, 9, 8, 7, 6, 5, 5, 3, 2, 1]
        leaders = []
        for n in counts:
            leader = await make_user(s)
            leaders.append(leader)
            for _ in range(n):
                await make_user(s, referrer=leader)
        banned = await make_user(s, banned=True)
        for _ in range(20):
            await make_user(s, referrer=banned)
        viewer = leaders[-1]
        payer = await make_user(s, referrer=viewer)
        await seed_deposit(s, payer, "10")  # viewer: 0.30 commission, sole earner
    async with harness.rt.db.session() as s:
        by_count = await referrals.leaderboard(s, viewer.id, referrals.METRIC_COUNT)
        by_earned = await referrals.leaderboard(s, viewer.id, referrals.METRIC_EARNED)
        with pytest.raises(referrals.ReferralQueryError):
            await referrals.leaderboard(s, viewer.id, "bogus")
    assert [r.rank for r in by_count.top] == [1, 2, 3, 4, 5, 6, 7, 8, 8, 10]
    assert [int(r.value) for r in by_count.top] == [12, 11, 10, 9, 8, 7, 6, 5, 5, 3]
    assert banned.id not in [r.user_id for r in by_count.top]
    assert by_count.me is not None and not by_count.me_in_top
    assert (by_count.me.rank, by_count.me.value, by_count.ranked) == (
        11,
        D(2),
        12,
    )  # tie with the 2-referral leader
    assert [(r.rank, r.user_id, r.value) for r in by_earned.top] == [(1, viewer.id, D("0.3"))]
    assert by_earned.me_in_top


async def test_lists_paginate_and_clamp(harness: Harness) -> None:
    async with harness.rt.db.transaction() as s:
        a = await make_user(s)
        kids = [await make_user(s, referrer=a) for _ in range(13)]
        await make_user(s, referrer=kids[0])
        await seed_deposit(s, kids[-1], "10")
    async with harness.rt.db.session() as s:
        p1 = await referrals.referrals_page(s, a.id, 1, -5)
        p2 = await referrals.referrals_page(s, a.id, 1, 10**9)
        deep = await referrals.referrals_page(s, a.id, 2, 1)
        with pytest.raises(referrals.ReferralQueryError):
            await referrals.referrals_page(s, a.id, 7, 1)
    assert (p1.page, p1.pages, p1.total, len(p1.items)) == (1, 2, 13, 10)
    assert (p2.page, len(p2.items)) == (2, 3)
    assert p1.items[0].user_id == kids[-1].id and p1.items[0].earned == D("0.3")
    assert {r.user_id for r in p1.items + p2.items} == {k.id for k in kids}
    assert deep.total == 1


async def test_history_merges_groups_and_totals(harness: Harness) -> None:
    async with harness.rt.db.transaction() as s:
        rs = await seed_reward_session(s)
        a = await make_user(s)
        clock.travel(timedelta(hours=1))
        dep = await seed_deposit(s, a, "10")
        base = dep.confirmed_at
        assert base is not None
        midnight = datetime.combine(base.date(), time(), UTC) + timedelta(days=1)
        await seed_accrual(s, dep, rs, 0, "0.1", midnight + timedelta(hours=1))
        await seed_accrual(s, dep, rs, 1, "0.2", midnight + timedelta(hours=2))  # same day: one group
        await seed_accrual(s, dep, rs, 2, "0.4", midnight + timedelta(days=1, hours=1))
        b = await make_user(s, referrer=a)
        clock.travel(timedelta(days=3))
        await seed_deposit(s, b, "50")  # a earns 1.5
        clock.travel(timedelta(hours=1))
        await seed_payout(s, a, "5", PayoutStatus.CONFIRMED)
        clock.travel(timedelta(hours=1))
        await seed_payout(s, a, "6")
    async with harness.rt.db.session() as s:
        everything = await history.history(s, a.id, history.ALL, 1, UTC)
        rewards = await history.history(s, a.id, history.REWARDS, 1, UTC)
        with pytest.raises(history.HistoryError):
            await history.history(s, a.id, "bogus", 1, UTC)
    kinds = [(i.kind, i.amount) for i in everything.items]
    assert kinds == [
        ("payouts", D(6)),
        ("payouts", D(5)),
        ("referral", D("1.5")),
        ("rewards", D("0.4")),
        ("rewards", D("0.3")),
        ("deposits", D(10)),
    ]
    assert [i.count for i in rewards.items] == [1, 2]
    t = everything.totals
    assert (t.deposited, t.rewards, t.referral, t.withdrawn, t.pending) == (
        D(10),
        D("0.7"),
        D("1.5"),
        D(5),
        D(6),
    )
    await assert_books_ok(harness)
