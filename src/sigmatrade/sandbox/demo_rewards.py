"""The rewards part of ``sigmatrade demo`` (SPEC §10.4): a super admin creates a reward session with a
high test rate in the admin screens (wizard, display timezone), an accrual period of one second, real
calculator runs through the job scheduler, cap trimming, the cycle-completion message, level 1
available again, and the session's view and recalculation.

Demo acceleration (the only shortcut): the confirmed deposit's accrual period snapshot is set to 1 s
instead of ``reward.accrual_period_hours`` (at least one hour); everything else runs as in production.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update

from sigmatrade import clock
from sigmatrade.db.models import Deposit, RewardAccrual, User
from sigmatrade.domain.enums import AdminRole, DepositStatus, JobStatus
from sigmatrade.jobs.scheduler import Scheduler
from sigmatrade.ledger.balances import user_balances
from sigmatrade.sandbox.emulator.client import UserClient
from sigmatrade.sandbox.harness import Harness
from sigmatrade.sandbox.transcript import Transcript
from sigmatrade.services.admin import admins

PERIOD_SECONDS = 1
SUPER_ADMIN_TG = 700_001
RATES_TYPED = "70 | 5 5,5 6 7"  # as an admin types them: level 1 earns 70 % per period


async def run(
    h: Harness, out: Transcript, carl: UserClient, expect: Callable[[bool, str], None]
) -> list[str]:
    checks: list[str] = []
    out.section("9. Rewards: a session with a high test rate, a 1-second accrual period, the calculator job")
    await out.send(carl, "/menu")
    await out.press(carl, "⚙️ Settings")
    await out.press(carl, "🔔 Turn notifications on")
    olga = await _super_admin(h, out)
    await out.press(olga, "🎁 Reward sessions")
    await out.press(olga, "➕ Create session")
    await out.send(olga, "Demo <b>boost</b>")
    tz = h.rt.config.tz
    start = (clock.now() - timedelta(minutes=1)).astimezone(tz)
    await out.send(olga, start.strftime("%d.%m.%Y %H:%M"))
    await out.send(olga, (start + timedelta(days=1)).strftime("%d.%m.%Y"))
    shown = await out.send(olga, RATES_TYPED)
    expect("Create this reward session?" in shown.text, "the wizard shows the summary")
    created = await out.press(olga, "✅ Create")
    expect("Session created and active" in created.text, "reward session created through the admin screens")
    out.note(f"rates typed as {RATES_TYPED!r}: level 1 earns 70 % per period")
    async with h.rt.db.transaction() as session:
        carl_id = await session.scalar(select(User.id).where(User.telegram_id == carl.id))
        deposit = await session.scalar(
            select(Deposit).where(Deposit.user_id == carl_id, Deposit.status == DepositStatus.CONFIRMED)
        )
        expect(deposit is not None, "Carl has a confirmed deposit")
        assert deposit is not None
        await session.execute(
            update(Deposit)
            .where(Deposit.id == deposit.id)
            .values(accrual_period_seconds=PERIOD_SECONDS, confirmed_at=clock.now())
        )
    out.note("demo acceleration: the deposit's accrual period snapshot is 1 second (production: 24 h)")
    scheduler = Scheduler(h.rt, tick=0.05)
    await asyncio.sleep(3.2)
    status = await scheduler.run_now("reward_calculator")
    expect(status == JobStatus.OK, "reward_calculator ran")
    summary = await carl.wait_message("Rewards credited")
    out.note("after 3 periods, the calculator's opt-in summary to Carl:")
    out.message(summary)
    await asyncio.sleep(5.5)
    await scheduler.run_now("reward_calculator")
    done = await carl.wait_message("Cycle completed")
    out.note("5 periods later (back-filled in one run), the cap is reached:")
    out.message(done)
    async with h.rt.db.session() as session:
        rows = (
            await session.scalars(
                select(RewardAccrual)
                .where(RewardAccrual.deposit_id == deposit.id)
                .order_by(RewardAccrual.period_index)
            )
        ).all()
        final = await session.get(Deposit, deposit.id, populate_existing=True)
        available = (await user_balances(session, int(carl_id or 0))).available
    for row in rows:
        out.note(
            f"accrual period {row.period_index}: +{row.amount} USDT{' (trimmed to the cap)' if row.trimmed else ''}"
        )
    expect(
        len(rows) == 8 and rows[-1].trimmed and rows[-1].amount == Decimal(1),
        "last accrual trimmed to 1 USDT",
    )
    expect(final is not None and final.status == DepositStatus.COMPLETED, "deposit completed")
    expect(final is not None and final.accrued_total == Decimal(50), "exactly 500 % accrued")
    expect(available == Decimal(50), f"Carl's available balance is 50 USDT (got {available})")
    checks.append("accruals every period, cap trimmed to exactly 50 USDT, cycle completed and the user told")
    await asyncio.sleep(1.1)
    await scheduler.run_now("reward_calculator")
    async with h.rt.db.session() as session:
        count = len((await session.scalars(select(RewardAccrual.id))).all())
    expect(count == 8, "a later run adds nothing")
    await out.send(carl, "/menu")
    ex = await out.press(carl, "💼 Deposits")
    expect("cycles completed: 1" in ex.text and "available" in ex.text, "level 1 can be bought again")
    checks.append("a later calculator run adds nothing; level 1 can be bought again")
    out.note("the super admin opens the session and recalculates it: the job already accrued everything")
    listed = await out.press(olga, "⬅️ Reward sessions")
    await out.press(olga, next(b for b in listed.buttons() if b.startswith("#")))
    ex = await out.press(olga, "🔁 Recalculate")
    expect(
        "Recalculated: 0 accruals added" in ex.text and "L1: 8 accruals, 50.00 USDT" in ex.text,
        "recalculation adds nothing; the view counts 8 level-1 accruals, 50 USDT",
    )
    checks.append("reward session created by a super admin in the bot; its view and recalculation agree")
    return checks


async def _super_admin(h: Harness, out: Transcript) -> UserClient:
    """A super admin added as an operator would (the CLI path), logging in through the bot."""
    async with h.rt.db.transaction() as session:
        issued = await admins.add(session, SUPER_ADMIN_TG, AdminRole.SUPER_ADMIN, username="olga")
    out.note("a super admin is added as the operator would (CLI); she logs in with her master key")
    olga = h.user(SUPER_ADMIN_TG, "Olga", language_code="en", username="olga")
    await out.send(olga, "/admin")
    await out.send(olga, issued.key)
    return olga
