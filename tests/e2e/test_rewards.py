"""Rewards through the real bot (SPEC scenarios 27, 28, 34; §3.6.7 messages; §5.6 screens).

Deposits and sessions are seeded as the services write them; the ``reward_calculator`` job runs through
the real scheduler (under its lease); the user sees the messages and screens over the Bot API emulator.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from sigmatrade import clock
from sigmatrade.db.models import Deposit, ReferralCommission, RewardAccrual
from sigmatrade.domain.enums import DepositStatus, JobStatus
from sigmatrade.jobs.scheduler import Scheduler
from sigmatrade.ledger.balances import user_balances
from sigmatrade.ledger.check import run_check
from sigmatrade.sandbox.emulator.client import Exchange, UserClient
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import settings
from tests.factories import make_user, random_wallet
from tests.rewards.builders import make_deposit, make_session

DAY = timedelta(days=1)


async def _set(h: Harness, key: str, value: Any) -> None:
    async with h.rt.db.transaction() as session:
        await settings.write(session, key, value, None)
    h.rt.store.invalidate()


@pytest.fixture(autouse=True)
async def _roomy_throttle(harness: Harness) -> None:
    await _set(harness, "throttle.updates_per_minute", 10_000)


async def press(client: UserClient, label: str) -> Exchange:
    clock.travel(timedelta(seconds=1.1))
    return await client.press(label)


async def _run_job(h: Harness) -> JobStatus:
    return await Scheduler(h.rt, tick=0.05).run_now("reward_calculator")


async def _check(h: Harness) -> None:
    async with h.rt.db.session() as session:
        report = await run_check(session)
    assert report.ok, report.render()


async def test_cap_trimmed_cycle_completed_once_and_level1_buyable_again(harness: Harness) -> None:
    """Scenario 28: a high test rate drives level 1 to exactly 50.00; the last accrual is the remainder;
    the deposit completes; the user is told once (and gets the opt-in summary); level 1 is available."""
    h = harness
    start = clock.now()
    async with h.rt.db.transaction() as session:
        user = await make_user(session, telegram_id=7101, language="en")
        user.accrual_notifications = True
        dep = await make_deposit(session, user, confirmed_at=start)
        await make_session(
            session, starts_at=start, ends_at=start + 365 * DAY, rates=("33.3333", "1", "1", "1", "1")
        )
    client = h.user(7101, "Saver", language_code="en")
    await client.send("/menu")  # the user has talked to the bot (it cannot initiate a conversation)
    clock.travel(20 * DAY)
    assert await _run_job(h) == JobStatus.OK
    done = await client.wait_message("Cycle completed")
    assert "level 1 deposit of 10.00 USDT" in done.body and "50.00 USDT" in done.body
    summary = await client.wait_message("Rewards credited")
    assert "+50.00 USDT" in summary.body and f"deposit #{dep.id}" in summary.body
    async with h.rt.db.session() as session:
        rows = (await session.scalars(select(RewardAccrual).order_by(RewardAccrual.period_index))).all()
        deposit = await session.get(Deposit, dep.id)
        assert deposit is not None and deposit.status == DepositStatus.COMPLETED
        assert deposit.accrued_total == Decimal(50) == sum((r.amount for r in rows), Decimal(0))
        assert len(rows) == 16 and rows[-1].trimmed and rows[-1].amount == Decimal("0.00005")
        assert (await user_balances(session, user.id)).available == Decimal(50)
    messages = len(client.messages())
    clock.travel(DAY)
    assert await _run_job(h) == JobStatus.OK
    assert len(client.messages()) == messages  # told once; nothing more accrues

    await _set(h, "deposit.system_wallet_address", random_wallet())
    await client.send("/menu")
    ex = await press(client, "💼 Deposits")
    assert "Level 1 · 10.00 USDT — 🟢 available · cycles completed: 1" in ex.text
    ex = await press(client, "Level 1")
    assert "🚀 Activate level 1 · 10.00 USDT" in ex.buttons()
    await client.send("/menu")
    ex = await press(client, "📜 History")
    assert "Rewards, deposit #" in ex.text and "50.00" in ex.text
    await client.send("/menu")
    ex = await press(client, "👤 Profile")
    assert "Available: 50.00" in ex.text and "Total earned: 50.00" in ex.text
    await _check(h)


async def test_level_screen_rate_no_summary_when_opted_out_and_commissions_on_accruals(
    harness: Harness,
) -> None:
    """Scenarios 27 and 34: exactly 0.1117 after one period; uplines paid on accruals only when on."""
    h = harness
    start = clock.now()
    async with h.rt.db.transaction() as session:
        upline = await make_user(session, telegram_id=7201, language="en")
        user = await make_user(session, telegram_id=7202, language="en", referrer=upline)
        dep = await make_deposit(session, user, confirmed_at=start)
        await make_session(session, starts_at=start, ends_at=start + 30 * DAY)
    client = h.user(7202, "Plain", language_code="en")
    await client.send("/menu")
    await press(client, "💼 Deposits")
    ex = await press(client, "Level 1")
    assert "1.117% of the amount per period of 24 h" in ex.text

    clock.travel(DAY)
    assert await _run_job(h) == JobStatus.OK
    await _set(h, "referral.on_accruals", True)
    clock.travel(DAY)
    assert await _run_job(h) == JobStatus.OK
    async with h.rt.db.session() as session:
        rows = (await session.scalars(select(RewardAccrual).order_by(RewardAccrual.period_index))).all()
        assert [(r.deposit_id, r.period_index, r.amount) for r in rows] == [
            (dep.id, 0, Decimal("0.1117")),
            (dep.id, 1, Decimal("0.1117")),
        ]
        commissions = (await session.scalars(select(ReferralCommission))).all()
        assert [(c.source_type, c.source_id, c.beneficiary_user_id, c.amount) for c in commissions] == [
            ("accrual", rows[1].id, upline.id, Decimal("0.003351"))
        ]
        assert (await user_balances(session, upline.id)).available == Decimal("0.003351")
    assert not [m for m in client.messages() if "Rewards credited" in m.body]  # opted out
    await _check(h)
