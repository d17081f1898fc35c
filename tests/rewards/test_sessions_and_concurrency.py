"""Reward sessions service (SPEC scenarios 30, 32) and two calculators at once (scenario 27)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.db.models import AuditLog, JournalEntry, RewardAccrual, RewardSession
from sigmatrade.db.session import Database
from sigmatrade.domain.reward_sessions import SessionDraft
from sigmatrade.ledger.check import run_check
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import audit
from sigmatrade.services.rewards import sessions
from sigmatrade.services.rewards.engine import RewardRules, accrue
from tests.factories import make_user
from tests.rewards.builders import make_deposit, make_session

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
RATES = (Decimal("1.117"), Decimal(1), Decimal(1), Decimal(1), Decimal(1))


def draft(start: datetime, end: datetime, name: str = "March") -> SessionDraft:
    return SessionDraft(name, start, end, RATES)


async def test_overlap_refused_toggle_delete_and_recalculate(harness: Harness) -> None:
    db, actor = harness.rt.db, audit.CLI
    first = await sessions.create(db, draft(T0, T0 + 10 * DAY), admin_id=None, actor=actor)
    assert first.outcome == sessions.Outcome.OK and first.session is not None
    clash = await sessions.create(db, draft(T0 + 9 * DAY, T0 + 20 * DAY, "April"), admin_id=None, actor=actor)
    assert clash.outcome == sessions.Outcome.OVERLAP and clash.conflict is not None
    assert clash.conflict.id == first.session.id
    adjacent = await sessions.create(
        db, draft(T0 + 10 * DAY, T0 + 20 * DAY, "April"), admin_id=None, actor=actor
    )
    assert adjacent.outcome == sessions.Outcome.OK and adjacent.session is not None
    # deactivated, the overlapping one can be created; re-activating the first is then refused
    assert (
        await sessions.set_active(db, first.session.id, False, actor=actor)
    ).outcome == sessions.Outcome.OK
    third = await sessions.create(db, draft(T0 + 5 * DAY, T0 + 10 * DAY, "Mid"), admin_id=None, actor=actor)
    assert third.outcome == sessions.Outcome.OK and third.session is not None
    again = await sessions.set_active(db, first.session.id, True, actor=actor)
    assert again.outcome == sessions.Outcome.OVERLAP
    assert (await sessions.remove(db, third.session.id, actor=actor)).outcome == sessions.Outcome.OK
    assert (await sessions.set_active(db, first.session.id, True, actor=actor)).outcome == sessions.Outcome.OK

    async with db.transaction() as session:
        user = await make_user(session)
        await make_deposit(session, user, confirmed_at=T0)
    clock.travel(T0 + 3 * DAY - clock.now() + timedelta(seconds=1))
    result = await sessions.recalculate(harness.rt, first.session.id, actor=actor)
    assert result is not None and result.accruals == 3 and result.total == Decimal("0.3351")
    repeat = await sessions.recalculate(harness.rt, first.session.id, actor=actor)
    assert repeat is not None and repeat.accruals == 0 and repeat.total == 0
    assert await sessions.recalculate(harness.rt, 10_000, actor=actor) is None
    refused = await sessions.remove(db, first.session.id, actor=actor)
    assert refused.outcome == sessions.Outcome.HAS_ACCRUALS
    stats = await sessions.stats(db, first.session.id)
    assert (stats.accruals, stats.total, stats.deposits) == (3, Decimal("0.3351"), 1)
    assert stats.per_level == {1: (3, Decimal("0.3351"))}
    async with db.session() as session:
        assert await session.get(RewardSession, first.session.id) is not None
        actions = (await session.scalars(select(AuditLog.action).order_by(AuditLog.id))).all()
        assert actions.count("reward_session_created") == 3 and "reward_session_deleted" in actions
        assert actions.count("reward_session_recalculated") == 2
        assert (await run_check(session)).ok


async def test_two_calculators_at_once_accrue_each_period_once(db: Database) -> None:
    """Two replicas (separate engines and connections) run over the same due work at the same time."""
    async with db.transaction() as session:
        await make_session(session, starts_at=T0, ends_at=T0 + 30 * DAY)
        for _ in range(120):
            user = await make_user(session)
            await make_deposit(session, user, confirmed_at=T0, cap_percent=None, level=2, amount=Decimal(50))
    other = Database(db.url)
    try:
        now = T0 + 5 * DAY
        first, second = await asyncio.gather(
            accrue(db, RewardRules(), now, batch_size=25), accrue(other, RewardRules(), now, batch_size=25)
        )
    finally:
        await other.dispose()
    assert first.accruals + second.accruals == 120 * 5
    async with db.session() as session:
        assert await session.scalar(select(func.count(RewardAccrual.id))) == 600
        keys = (await session.scalars(select(JournalEntry.idempotency_key))).all()
        assert len(keys) == len(set(keys))
        assert (await run_check(session)).ok
