"""The calculator on a real database: SPEC scenarios 27–31, 34 at the service level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update

from sigmatrade.db.models import Deposit, JournalEntry, ReferralCommission, RewardAccrual, RewardSession
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import DepositStatus
from sigmatrade.ledger.balances import user_balances
from sigmatrade.ledger.check import run_check
from sigmatrade.services.rewards.engine import RewardRules, accrue
from tests.factories import make_user
from tests.rewards.builders import make_deposit, make_session

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ON = RewardRules()


async def _accruals(db: Database) -> list[RewardAccrual]:
    async with db.session() as session:
        return list(
            (
                await session.scalars(
                    select(RewardAccrual).order_by(RewardAccrual.deposit_id, RewardAccrual.period_index)
                )
            ).all()
        )


async def _check(db: Database) -> None:
    async with db.session() as session:
        report = await run_check(session)
    assert report.ok, report.render()


async def test_one_period_accrues_exactly_and_once(db: Database) -> None:
    async with db.transaction() as session:
        user = await make_user(session)
        dep = await make_deposit(session, user, confirmed_at=T0)
        await make_session(session, starts_at=T0 - DAY, ends_at=T0 + 30 * DAY)
    assert (await accrue(db, ON, T0 + DAY - timedelta(seconds=1))).accruals == 0
    result = await accrue(db, ON, T0 + DAY)
    assert result.accruals == 1 and result.total == Decimal("0.1117")
    again = await accrue(db, ON, T0 + DAY + timedelta(hours=5))
    assert again.accruals == 0
    rows = await _accruals(db)
    assert [(r.deposit_id, r.period_index, r.amount) for r in rows] == [(dep.id, 0, Decimal("0.1117"))]
    async with db.session() as session:
        assert (await user_balances(session, user.id)).available == Decimal("0.1117")
    await _check(db)


async def test_cap_trimmed_to_the_wei_and_completed(db: Database) -> None:
    async with db.transaction() as session:
        user = await make_user(session)
        dep = await make_deposit(session, user, confirmed_at=T0)
        await make_session(
            session, starts_at=T0, ends_at=T0 + 400 * DAY, rates=("33.3333", "0", "0", "0", "0")
        )
    result = await accrue(db, ON, T0 + 100 * DAY)
    # 10 × 33.3333 % = 3.33333 per period; 50 / 3.33333 → 15 full periods, the 16th trimmed.
    assert result.accruals == 16
    assert len(result.completions) == 1
    rows = await _accruals(db)
    assert sum((r.amount for r in rows), Decimal(0)) == Decimal(50)
    assert rows[-1].trimmed and rows[-1].amount == Decimal(50) - 15 * Decimal("3.33333")
    assert not any(r.trimmed for r in rows[:-1])
    async with db.session() as session:
        deposit = await session.get(Deposit, dep.id)
        assert deposit is not None
        assert deposit.status == DepositStatus.COMPLETED and deposit.accrued_total == Decimal(50)
    assert (await accrue(db, ON, T0 + 200 * DAY)).accruals == 0
    await _check(db)


async def test_backfill_after_pause_and_ban(db: Database) -> None:
    async with db.transaction() as session:
        user = await make_user(session)
        await make_deposit(session, user, confirmed_at=T0, cap_percent=None, level=2, amount=Decimal(50))
        await make_session(session, starts_at=T0, ends_at=T0 + 10 * DAY)
    assert (await accrue(db, RewardRules(enabled=False), T0 + 3 * DAY)).accruals == 0
    async with db.transaction() as session:
        user.is_banned = True
        await session.merge(user)
    assert (await accrue(db, ON, T0 + 4 * DAY)).accruals == 0
    async with db.transaction() as session:
        user.is_banned = False
        await session.merge(user)
    assert (await accrue(db, ON, T0 + 4 * DAY)).accruals == 4
    # past the session end nothing more: periods end at T0+1d..T0+9d inside [T0, T0+10d)
    assert (await accrue(db, ON, T0 + 50 * DAY)).accruals == 5
    rows = await _accruals(db)
    assert [r.period_index for r in rows] == list(range(9))
    await _check(db)


async def test_hole_below_accrued_periods_is_back_filled_in_order(db: Database) -> None:
    """Session B covered only period 1; after B is deactivated, A (same deposit, wider window) fills 0 and 2.."""
    async with db.transaction() as session:
        user = await make_user(session)
        dep = await make_deposit(
            session, user, confirmed_at=T0, cap_percent=None, level=2, amount=Decimal(50)
        )
        b = await make_session(
            session, starts_at=T0 + 2 * DAY, ends_at=T0 + 3 * DAY, rates=("1", "2", "1", "1", "1")
        )
        a = await make_session(
            session, starts_at=T0, ends_at=T0 + 5 * DAY, rates=("1", "1", "1", "1", "1"), active=False
        )
    assert (await accrue(db, ON, T0 + 4 * DAY)).accruals == 1
    async with db.transaction() as session:
        await session.execute(update(RewardSession).where(RewardSession.id == b.id).values(is_active=False))
        await session.execute(update(RewardSession).where(RewardSession.id == a.id).values(is_active=True))
    result = await accrue(db, ON, T0 + 4 * DAY)
    assert result.accruals == 3
    rows = await _accruals(db)
    assert [(r.period_index, r.session_id, r.amount) for r in rows] == [
        (0, a.id, Decimal("0.5")),
        (1, b.id, Decimal(1)),
        (2, a.id, Decimal("0.5")),
        (3, a.id, Decimal("0.5")),
    ]
    assert all(r.deposit_id == dep.id for r in rows)
    await _check(db)


async def test_ledger_check_catches_a_wrong_accrued_total(db: Database) -> None:
    async with db.transaction() as session:
        user = await make_user(session)
        dep = await make_deposit(session, user, confirmed_at=T0)
        await make_session(session, starts_at=T0, ends_at=T0 + 30 * DAY)
    assert (await accrue(db, ON, T0 + 2 * DAY)).accruals == 2
    await _check(db)
    async with db.transaction() as session:
        await session.execute(
            update(Deposit).where(Deposit.id == dep.id).values(accrued_total=Decimal("0.2"))
        )
    async with db.session() as session:
        report = await run_check(session)
    assert [v.check for v in report.violations] == ["accrued totals"]
    assert report.violations[0].detail.startswith(f"deposit {dep.id}: accrued_total 0.2")


async def test_commissions_on_accruals_follow_the_deposit_rule(db: Database) -> None:
    """Scenario 34 at the service level: same rates, banned upline skipped (recorded), keyed by accrual."""
    async with db.transaction() as session:
        a = await make_user(session)
        b = await make_user(session, referrer=a, banned=True)
        c = await make_user(session, referrer=b)
        d = await make_user(session, referrer=c)
        await make_deposit(session, d, confirmed_at=T0, cap_percent=None, level=2, amount=Decimal(100))
        await make_session(session, starts_at=T0, ends_at=T0 + 30 * DAY, rates=("1", "1", "1", "1", "1"))
    assert (await accrue(db, ON, T0 + DAY)).commissions == 0
    result = await accrue(db, RewardRules(on_accruals=True), T0 + 2 * DAY)
    assert (result.accruals, result.commissions) == (1, 2)
    async with db.session() as session:
        [accrual] = (
            await session.scalars(select(RewardAccrual).where(RewardAccrual.period_index == 1))
        ).all()
        rows = (await session.scalars(select(ReferralCommission).order_by(ReferralCommission.depth))).all()
        got = [(r.beneficiary_user_id, r.depth, r.amount, r.status, r.skip_reason, r.source_id) for r in rows]
        assert got == [
            (c.id, 1, Decimal("0.03"), "credited", None, accrual.id),
            (b.id, 2, Decimal("0.02"), "skipped", "banned", accrual.id),
            (a.id, 3, Decimal("0.05"), "credited", None, accrual.id),
        ]
        keys = set((await session.scalars(select(JournalEntry.idempotency_key))).all())
        assert {f"refcomm:accrual:{accrual.id}:{c.id}", f"refcomm:accrual:{accrual.id}:{a.id}"} <= keys
        assert (await user_balances(session, a.id)).available == Decimal("0.05")
    await _check(db)


async def test_deposit_update_is_guarded_by_the_planned_total(db: Database) -> None:
    """The batch's deposit update matches the accrued_total it planned from; a changed row is not updated
    (the engine then rolls the whole batch back)."""
    from sigmatrade.db.session import is_postgres
    from sigmatrade.services.rewards import bulk

    async with db.transaction() as session:
        user = await make_user(session)
        dep = await make_deposit(session, user, confirmed_at=T0)
    row = {"id": dep.id, "accrued_total": Decimal("0.5"), "was_accrued_total": Decimal("0.1")}
    async with db.transaction() as session:
        pg = is_postgres(session)
        assert await bulk.update_rows(session, Deposit, [row], pg, expect=("accrued_total",)) == 0
        row["was_accrued_total"] = Decimal(0)
        assert await bulk.update_rows(session, Deposit, [row], pg, expect=("accrued_total",)) == 1
