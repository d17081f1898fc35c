"""Merged transaction history of a user (SPEC §5.6 History): deposits, reward accruals (grouped per
deposit per display day), credited referral commissions and payouts, newest first, 10 per page.

Read-only. Items are assembled in Python (accrual groups need the display timezone's day on both
dialects) and merged by their event time: a deposit's confirmation time (creation while unconfirmed),
an accrual group's latest period end, a commission's creation, a payout's request time. Equal times
are ordered by kind, then id, newest first, so pages are stable. Skipped commissions moved no money:
they are listed on the referral Commissions screen only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.models import Deposit, Payout, ReferralCommission, RewardAccrual, User
from sigmatrade.db.session import reading
from sigmatrade.domain.enums import CommissionStatus
from sigmatrade.domain.paging import page_count
from sigmatrade.ledger.balances import user_balances
from sigmatrade.services.users import display_name

PAGE_SIZE = 10
ALL = "all"
DEPOSITS = "deposits"
REWARDS = "rewards"
REFERRAL = "referral"
PAYOUTS = "payouts"
KINDS = (ALL, DEPOSITS, REWARDS, REFERRAL, PAYOUTS)
_ORDER = {DEPOSITS: 0, REWARDS: 1, REFERRAL: 2, PAYOUTS: 3}
ZERO = Decimal(0)


class HistoryError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


BAD_KIND = "bad_kind"


@dataclass(frozen=True)
class Item:
    kind: str  # deposits, rewards, referral, payouts
    id: int  # deposit / commission / payout id; the deposit id for an accrual group
    at: datetime
    amount: Decimal
    status: str = ""
    level: int = 0
    count: int = 0  # accruals in a reward group
    payer: str = ""  # referral: who paid, and the depth
    depth: int = 0
    tx_hash: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Totals:
    deposited: Decimal
    rewards: Decimal
    referral: Decimal
    withdrawn: Decimal
    pending: Decimal  # held by open payouts


@dataclass(frozen=True)
class HistoryPage:
    kind: str
    items: list[Item]
    page: int
    pages: int
    total: int
    totals: Totals


async def _deposits(session: AsyncSession, user_id: int) -> list[Item]:
    rows = (await session.scalars(select(Deposit).where(Deposit.user_id == user_id))).all()
    return [
        Item(
            DEPOSITS,
            d.id,
            d.confirmed_at or d.created_at,
            d.received_amount if d.received_amount is not None else d.amount,
            status=d.status,
            level=d.level,
            tx_hash=d.tx_hash,
        )
        for d in rows
    ]


async def _rewards(session: AsyncSession, user_id: int, tz: tzinfo) -> tuple[list[Item], Decimal]:
    rows = (
        await session.execute(
            select(
                RewardAccrual.deposit_id,
                RewardAccrual.level,
                RewardAccrual.accrued_at_period_end,
                RewardAccrual.amount,
            ).where(RewardAccrual.user_id == user_id)
        )
    ).all()
    groups: dict[tuple[int, object], list[tuple[int, datetime, Decimal]]] = defaultdict(list)
    for deposit_id, level, at, amount in rows:
        groups[(int(deposit_id), at.astimezone(tz).date())].append((int(level), at, amount))
    items = [
        Item(
            REWARDS,
            deposit_id,
            max(at for _, at, _ in parts),
            sum((a for _, _, a in parts), ZERO),
            level=parts[0][0],
            count=len(parts),
        )
        for (deposit_id, _), parts in groups.items()
    ]
    return items, sum((i.amount for i in items), ZERO)


async def _commissions(session: AsyncSession, user_id: int) -> list[Item]:
    rows = (
        await session.execute(
            select(ReferralCommission, User)
            .join(User, User.id == ReferralCommission.payer_user_id)
            .where(
                ReferralCommission.beneficiary_user_id == user_id,
                ReferralCommission.status == CommissionStatus.CREDITED,
            )
        )
    ).all()
    return [
        Item(REFERRAL, c.id, c.created_at, c.amount, status=c.status, payer=display_name(u), depth=c.depth)
        for c, u in rows
    ]


async def _payouts(session: AsyncSession, user_id: int) -> list[Item]:
    rows = (await session.scalars(select(Payout).where(Payout.user_id == user_id))).all()
    return [
        Item(
            PAYOUTS,
            p.id,
            p.requested_at or p.created_at,
            p.amount,
            status=p.status,
            tx_hash=p.tx_hash,
            extra={"kind": p.kind, "net": str(p.net_amount)},
        )
        for p in rows
    ]


def merge(items: list[Item]) -> list[Item]:
    """Newest first; equal times by kind order then id, both descending (stable pages)."""
    return sorted(items, key=lambda i: (i.at, _ORDER[i.kind], i.id), reverse=True)


async def history(session: AsyncSession, user_id: int, kind: str, page: int, tz: tzinfo) -> HistoryPage:
    if kind not in KINDS:
        raise HistoryError(BAD_KIND)
    async with reading(session):
        deposits = await _deposits(session, user_id)
        rewards, rewards_total = await _rewards(session, user_id, tz)
        commissions = await _commissions(session, user_id)
        payouts = await _payouts(session, user_id)
        balances = await user_balances(session, user_id)
    totals = Totals(
        deposited=balances.principal,
        rewards=rewards_total,
        referral=sum((c.amount for c in commissions), ZERO),
        withdrawn=balances.withdrawn,
        pending=balances.held,
    )
    chosen = {DEPOSITS: deposits, REWARDS: rewards, REFERRAL: commissions, PAYOUTS: payouts}
    pool = [i for k, items in chosen.items() if kind in (ALL, k) for i in items]
    merged = merge(pool)
    pages = page_count(len(merged), PAGE_SIZE)
    page = 1 if page < 1 else min(page, pages)
    chunk = merged[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return HistoryPage(kind=kind, items=chunk, page=page, pages=pages, total=len(merged), totals=totals)
