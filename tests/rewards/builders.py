"""Builders for reward tests: confirmed deposits (with their principal entry) and reward sessions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.models import Deposit, RewardSession, User
from sigmatrade.db.session import Database
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
    await post(session, entries.deposit_confirmed(f"seed-{deposit.id}", deposit.id, user.id, amount))
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


@dataclass
class DepositSpec:
    """A deposit of a scenario: its user's index, and times in seconds after the scenario's start."""

    user: int
    level: int
    amount: Decimal
    cap_percent: Decimal | None
    offset: int
    period: int


@dataclass
class SessionSpec:
    start: int
    end: int
    rates: tuple[Decimal, ...]
    active: bool


def overlap(a: SessionSpec, b: SessionSpec) -> bool:
    return a.start < b.end and b.start < a.end


async def seed_scenario(
    session: AsyncSession,
    users: Sequence[User],
    deposits: Sequence[DepositSpec],
    sessions: Sequence[SessionSpec],
    t0: datetime,
) -> tuple[list[int], list[int]]:
    """The scenario's deposits (times as seconds after ``t0``) and reward sessions; their ids in order."""
    deposit_ids = [
        (
            await make_deposit(
                session,
                users[d.user],
                confirmed_at=t0 + timedelta(seconds=d.offset),
                level=d.level,
                amount=d.amount,
                cap_percent=d.cap_percent,
                period_seconds=d.period,
            )
        ).id
        for d in deposits
    ]
    session_ids = [
        (
            await make_session(
                session,
                starts_at=t0 + timedelta(seconds=s.start),
                ends_at=t0 + timedelta(seconds=s.end),
                rates=tuple(str(r) for r in s.rates),
                active=s.active,
            )
        ).id
        for s in sessions
    ]
    return deposit_ids, session_ids


async def wipe_rewards(db: Database) -> None:
    """Back to the seeded state between hypothesis examples: no users, deposits, sessions or entries."""
    async with db.transaction() as session:
        for table in (
            "referral_commissions",
            "reward_accruals",
            "ledger_postings",
            "journal_entries",
            "deposits",
        ):
            await session.execute(text(f"DELETE FROM {table}"))
        await session.execute(text("DELETE FROM reward_sessions"))
        await session.execute(text("DELETE FROM referrals"))
        await session.execute(text("DELETE FROM ledger_accounts WHERE kind <> 'system'"))
        await session.execute(text("DELETE FROM users"))
        await session.execute(text("UPDATE ledger_accounts SET balance = '0'"))
