"""Automatic payouts (SPEC §3.7, scenario 52): one payout per user per interval slot, even with two
processors at once; eligibility; the two-admin rule for large balances."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from sigmatrade import clock
from sigmatrade.app import build_runtime
from sigmatrade.config import load_config
from sigmatrade.db.models import Payout
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import PayoutKind, PayoutStatus
from sigmatrade.ledger import accounts
from sigmatrade.runtime import Runtime
from sigmatrade.services import auto_payouts
from sigmatrade.services.admin import withdrawals as desk
from tests.desk_helpers import balance, consistent, desk_admin, funded_user, set_setting
from tests.factories import credit

D = Decimal


@pytest.fixture
async def rt(db: Database) -> AsyncIterator[Runtime]:
    env = load_config(_env_file=None, database_url=db.url, environment="test")
    yield await build_runtime(env, db=db)


async def _payouts(rt: Runtime) -> list[Payout]:
    async with rt.db.session() as session:
        return list((await session.scalars(select(Payout).order_by(Payout.id))).all())


async def test_off_by_default(rt: Runtime) -> None:
    await funded_user(rt, "12.34")
    assert (await auto_payouts.create_due(rt)).created == []


async def test_one_payout_per_user_per_slot_even_with_two_processors(rt: Runtime) -> None:
    await set_setting(rt, "payout.auto_enabled", True)
    user = await funded_user(rt, "12.349")
    await funded_user(rt, "9.99")  # under the threshold
    await funded_user(rt, "50", verified=False)
    await funded_user(rt, "50", banned=True)
    first, second = await asyncio.gather(auto_payouts.create_due(rt), auto_payouts.create_due(rt))
    assert len(first.created) + len(second.created) == 1
    (payout,) = await _payouts(rt)
    assert (payout.user_id, payout.kind, payout.amount, payout.status) == (
        user.id,
        PayoutKind.AUTO_PAYOUT,
        D("12.34"),
        PayoutStatus.APPROVED,
    )
    assert payout.auto_approved and payout.idempotency_key.startswith(f"auto:{user.id}:")
    assert await balance(rt, accounts.available(user.id)) == D("0.009")
    assert (await auto_payouts.create_due(rt)).created == []  # same slot, open payout
    admin = await desk_admin(rt)
    async with rt.db.session() as session:  # the payout ends (rejected: released); more money arrives
        await desk.reject(session, rt, admin, payout.id, None)
    async with rt.db.transaction() as session:
        await credit(session, user, "20")
    assert (await auto_payouts.create_due(rt)).created == []  # still this slot
    clock.travel(timedelta(minutes=61))
    assert len((await auto_payouts.create_due(rt)).created) == 1
    await consistent(rt)


async def test_paused_by_the_disk_guard(rt: Runtime) -> None:
    await set_setting(rt, "payout.auto_enabled", True)
    await funded_user(rt, "12.34")
    rt.ops.paused.add("auto_payouts")
    assert (await auto_payouts.create_due(rt)).created == []
    rt.ops.paused.discard("auto_payouts")
    assert len((await auto_payouts.create_due(rt)).created) == 1


async def test_large_balance_needs_two_admins(rt: Runtime) -> None:
    await set_setting(rt, "payout.auto_enabled", True)
    await funded_user(rt, "1500.5")
    await auto_payouts.create_due(rt)
    (payout,) = await _payouts(rt)
    assert (payout.amount, payout.status, payout.required_approvals) == (
        D("1500.5"),
        PayoutStatus.REQUESTED,
        2,
    )
    await consistent(rt)
