"""Builders for reward tests: confirmed deposits (with their principal entry) and reward sessions."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.models import Deposit, RewardSession, User
from sigmatrade.domain.enums import DepositStatus
from sigmatrade.ledger import entries
from sigmatrade.ledger.journal import post


async def make_deposit(
    session: AsyncSession,
    user: User,
    *,
    confirmed_at: datetime,
    level: int = 1,
    amount: Decimal = Decimal(10),
    cap_percent: Decimal | None = Decimal(500),
    period_seconds: int = 86_400,
) -> Deposit:
    deposit = Deposit(
        user_id=user.id,
        level=level,
        amount=amount,
        cap_amount=None if cap_percent is None else amount * cap_percent / 100,
        status=DepositStatus.CONFIRMED,
        expires_at=confirmed_at + timedelta(hours=24),
        received_amount=amount,
        accrual_period_seconds=period_seconds,
        detected_at=confirmed_at,
        confirmed_at=confirmed_at,
    )
    session.add(deposit)
    await session.flush()
    await post(session, entries.deposit_confirmed(deposit.id, user.id, amount))
    return deposit


async def make_session(
    session: AsyncSession,
    *,
    starts_at: datetime,
    ends_at: datetime,
    rates: tuple[str, ...] = ("1.117", "1", "1", "1", "1"),
    active: bool = True,
    name: str = "S",
) -> RewardSession:
    row = RewardSession(
        name=name,
        starts_at=starts_at,
        ends_at=ends_at,
        is_active=active,
        **{f"rate_level_{i + 1}": Decimal(r) for i, r in enumerate(rates)},
    )
    session.add(row)
    await session.flush()
    return row
