"""A calculator run's messages and switches (found by an independent review, 2026-12-07):

* a deposit's "cycle completed" message is sent when its batch commits, so a later batch that fails
  (a deadlock, a lock timeout, a run cancelled at shutdown) no longer loses it for good;
* the users of a run are read in chunks (PostgreSQL takes at most 32,767 bind parameters: a run over
  more users committed its accruals and then failed every tick);
* ``reward.enabled`` switched off stops the next batch of a run in progress."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.models import Deposit
from sigmatrade.domain.enums import DepositStatus
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import settings
from sigmatrade.services.rewards import engine, notices, run
from sigmatrade.services.rewards.engine import Completion, RunResult
from tests.factories import make_user
from tests.rewards.builders import make_deposit, make_session

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


async def test_a_completion_is_announced_even_when_a_later_batch_of_the_run_fails(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = harness.rt
    async with rt.db.transaction() as session:
        a = await make_deposit(session, await make_user(session), confirmed_at=T0)
        await make_deposit(session, await make_user(session), confirmed_at=T0)
        # 100 % a period: the 500 % cap is reached in 5 periods
        await make_session(session, starts_at=T0, ends_at=T0 + 30 * DAY, rates=("100", "1", "1", "1", "1"))
    sent: list[int] = []

    async def record(_rt: object, completions: list[Completion]) -> None:
        sent.extend(c.deposit_id for c in completions)

    monkeypatch.setattr(notices, "notify_completions", record)
    monkeypatch.setattr(engine, "BATCH", 1)
    monkeypatch.setattr(engine, "BATCH_SQLITE", 1)
    real = engine.accrue_batch
    calls = 0

    async def second_fails(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("deadlock detected")
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "accrue_batch", second_fails)
    with pytest.raises(RuntimeError):
        await run.run_once(rt, now=T0 + 10 * DAY)
    async with rt.db.session() as session:
        dep = await session.get(Deposit, a.id)
        assert dep is not None and dep.status == DepositStatus.COMPLETED  # committed by the first batch
    assert sent == [a.id]
    await run.run_once(rt, now=T0 + 10 * DAY)  # the next tick: the other deposit, A not again
    assert sent.count(a.id) == 1 and len(sent) == 2


async def test_the_users_of_a_run_are_read_in_chunks(harness: Harness) -> None:
    """33,000 credited users: one ``IN`` of 33,000 parameters is refused by asyncpg."""
    per_user: dict[int, list[tuple[int, int, Decimal]]] = {i: [] for i in range(1, 33_001)}
    await notices.notify_summaries(harness.rt, RunResult(per_user=per_user))
    await notices.notify_completions(
        harness.rt, [Completion(i, i, 1, Decimal(1), Decimal(1)) for i in range(1, 33_001)]
    )


async def test_rewards_switched_off_stop_the_next_batch_of_a_run_in_progress(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = harness.rt
    async with rt.db.transaction() as session:
        first = await make_deposit(
            session, await make_user(session), confirmed_at=T0, cap_percent=None, level=2
        )
        second = await make_deposit(
            session, await make_user(session), confirmed_at=T0, cap_percent=None, level=2
        )
        await make_session(session, starts_at=T0, ends_at=T0 + 30 * DAY)
    monkeypatch.setattr(engine, "BATCH", 1)
    monkeypatch.setattr(engine, "BATCH_SQLITE", 1)
    real_transaction = rt.db.transaction
    opened = 0

    @asynccontextmanager
    async def transaction() -> AsyncIterator[AsyncSession]:
        nonlocal opened
        opened += 1
        if opened == 2:  # the first batch committed; an admin turns rewards off now
            async with real_transaction() as s:
                await settings.write(s, "reward.enabled", False, None)
        async with real_transaction() as s:
            yield s

    monkeypatch.setattr(rt.db, "transaction", transaction)
    await run.run_once(rt, now=T0 + 5 * DAY)
    async with rt.db.session() as session:
        totals = {
            d.id: d.accrued_total
            for d in (
                await session.scalars(select(Deposit).where(Deposit.id.in_([first.id, second.id])))
            ).all()
        }
    assert totals[first.id] > 0 and totals[second.id] == Decimal(0)
