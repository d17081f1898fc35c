"""Referral statistics, lists, commission history and leaderboards (SPEC §3.4.6–§3.4.8, §5.6).

Read-only: nothing here writes. Money sums go through ``db.aggregate`` (exact on both dialects).

Rules documented here (the SPEC leaves them open):
* "verified" in the per-depth counts means ``is_verified`` (banned referrals still count in "all");
  the *verified direct* number of the home screen is the one the level rules use: verified and not banned.
* Leaderboards rank users with a non-zero value only; banned users are left out (their link is inactive).
  Ties share a rank (competition ranking: 1, 2, 2, 4); inside a tie the earlier registered user
  (smaller id) is listed first. A user with no value gets no rank ("not ranked yet").
* Earnings count ``credited`` commissions only; ``skipped`` ones are listed in the history but never summed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.aggregate import grouped_sums
from sigmatrade.db.models import Referral, ReferralCommission, User
from sigmatrade.db.session import unit
from sigmatrade.domain import paging
from sigmatrade.domain.enums import CommissionStatus
from sigmatrade.domain.referrals import MAX_DEPTH
from sigmatrade.runtime import Runtime
from sigmatrade.services.users import display_name

PAGE_SIZE = 10
TOP_SIZE = 10
DEPTHS = tuple(range(1, MAX_DEPTH + 1))
METRIC_COUNT = "count"
METRIC_EARNED = "earned"
METRICS = (METRIC_COUNT, METRIC_EARNED)
ZERO = Decimal(0)


class ReferralQueryError(ValueError):
    """A request the screens cannot answer (forged depth or metric)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


BAD_DEPTH = "bad_depth"
BAD_METRIC = "bad_metric"


def link_for(rt: Runtime, code: str) -> str | None:
    """``https://t.me/<bot>?start=<code>``; None while the bot's username is unknown."""
    if not rt.bot_username:
        return None
    return f"https://t.me/{rt.bot_username}?start={code}"


# ------------------------------------------------------------------------------------------ overview
@dataclass(frozen=True)
class DepthStats:
    depth: int
    total: int
    verified: int
    earned: Decimal


@dataclass(frozen=True)
class Overview:
    code: str
    link: str | None
    inactive: bool  # banned: the link registers nobody under this user
    depths: tuple[DepthStats, ...]
    verified_direct: int  # verified and not banned (the number the level rules use)
    total_earned: Decimal
    rates: tuple[Decimal, ...]


async def _earned_by(session: AsyncSession, user_id: int, key: Any) -> dict[Any, Decimal]:
    sums = await grouped_sums(
        session,
        select(key, ReferralCommission.amount).where(
            ReferralCommission.beneficiary_user_id == user_id,
            ReferralCommission.status == CommissionStatus.CREDITED,
        ),
    )
    return {k[0]: v for k, v in sums.items()}


async def overview(session: AsyncSession, rt: Runtime, user: User) -> Overview:
    rates = tuple(await rt.store.get("referral.rates"))
    async with unit(session):
        rows = (
            await session.execute(
                select(Referral.depth, User.is_verified, User.is_banned, func.count(Referral.id))
                .join(User, User.id == Referral.descendant_id)
                .where(Referral.ancestor_id == user.id)
                .group_by(Referral.depth, User.is_verified, User.is_banned)
            )
        ).all()
        earned = await _earned_by(session, user.id, ReferralCommission.depth)
    totals = dict.fromkeys(DEPTHS, 0)
    verified = dict.fromkeys(DEPTHS, 0)
    verified_direct = 0
    for depth, is_verified, is_banned, n in rows:
        totals[int(depth)] += int(n)
        if is_verified:
            verified[int(depth)] += int(n)
            if int(depth) == 1 and not is_banned:
                verified_direct += int(n)
    depths = tuple(DepthStats(d, totals[d], verified[d], earned.get(d, ZERO)) for d in DEPTHS)
    return Overview(
        code=user.referral_code,
        link=link_for(rt, user.referral_code),
        inactive=user.is_banned,
        depths=depths,
        verified_direct=verified_direct,
        total_earned=sum((s.earned for s in depths), ZERO),
        rates=rates,
    )


# ------------------------------------------------------------------------------------------ lists
@dataclass(frozen=True)
class ReferralRow:
    user_id: int
    name: str  # display name (plain; views escape it)
    joined: datetime
    verified: bool
    earned: Decimal  # credited commissions the viewer got from this referral


@dataclass(frozen=True)
class ReferralPage:
    depth: int
    items: list[ReferralRow]
    page: int
    pages: int
    total: int


def check_depth(depth: int) -> int:
    if depth not in DEPTHS:
        raise ReferralQueryError(BAD_DEPTH)
    return depth


async def referrals_page(session: AsyncSession, user_id: int, depth: int, page: int) -> ReferralPage:
    """The user's referrals at ``depth``, newest first, 10 per page (page clamped)."""
    check_depth(depth)
    where = (Referral.ancestor_id == user_id, Referral.depth == depth)
    async with unit(session):
        count = int(await session.scalar(select(func.count(Referral.id)).where(*where)) or 0)
        page, pages = paging.clamp(page, count, PAGE_SIZE)
        users = (
            await session.scalars(
                select(User)
                .join(Referral, Referral.descendant_id == User.id)
                .where(*where)
                .order_by(Referral.id.desc())
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        ).all()
        earned: dict[object, Decimal] = {}
        if users:
            sums = await grouped_sums(
                session,
                select(ReferralCommission.payer_user_id, ReferralCommission.amount).where(
                    ReferralCommission.beneficiary_user_id == user_id,
                    ReferralCommission.status == CommissionStatus.CREDITED,
                    ReferralCommission.payer_user_id.in_([u.id for u in users]),
                ),
            )
            earned = {k[0]: v for k, v in sums.items()}
    items = [
        ReferralRow(u.id, display_name(u), u.created_at, u.is_verified, earned.get(u.id, ZERO)) for u in users
    ]
    return ReferralPage(depth=depth, items=items, page=page, pages=pages, total=count)


@dataclass(frozen=True)
class CommissionRow:
    id: int
    at: datetime
    payer: str  # display name of the payer
    depth: int
    base: Decimal
    rate: Decimal
    amount: Decimal
    status: str
    skip_reason: str | None


@dataclass(frozen=True)
class CommissionPage:
    items: list[CommissionRow]
    page: int
    pages: int
    total: int


async def commissions_page(session: AsyncSession, user_id: int, page: int) -> CommissionPage:
    """Commissions of the user (credited and skipped), newest first, 10 per page (page clamped)."""
    where = ReferralCommission.beneficiary_user_id == user_id
    async with unit(session):
        count = int(await session.scalar(select(func.count(ReferralCommission.id)).where(where)) or 0)
        page, pages = paging.clamp(page, count, PAGE_SIZE)
        rows = (
            await session.execute(
                select(ReferralCommission, User)
                .join(User, User.id == ReferralCommission.payer_user_id)
                .where(where)
                .order_by(ReferralCommission.id.desc())
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        ).all()
    items = [
        CommissionRow(
            c.id,
            c.created_at,
            display_name(u),
            c.depth,
            c.base_amount,
            c.rate,
            c.amount,
            c.status,
            c.skip_reason,
        )
        for c, u in rows
    ]
    return CommissionPage(items=items, page=page, pages=pages, total=count)


# ------------------------------------------------------------------------------------------ leaderboard
@dataclass(frozen=True)
class BoardRow:
    rank: int
    user_id: int
    name: str
    value: Decimal  # referral count (integral) or credited earnings


@dataclass(frozen=True)
class Board:
    metric: str
    top: list[BoardRow]
    me: BoardRow | None  # None: the viewer has no value yet (not ranked)
    me_in_top: bool
    ranked: int  # how many users are ranked at all


def rank_values(values: dict[int, Decimal]) -> list[tuple[int, int, Decimal]]:
    """[(rank, user_id, value)] by value desc, then id asc; ties share the rank (1, 2, 2, 4)."""
    ordered = sorted(((uid, v) for uid, v in values.items() if v > 0), key=lambda p: (-p[1], p[0]))
    ranked: list[tuple[int, int, Decimal]] = []
    previous: Decimal | None = None
    rank = 0
    for position, (uid, value) in enumerate(ordered, start=1):
        if value != previous:
            rank, previous = position, value
        ranked.append((rank, uid, value))
    return ranked


async def _values(session: AsyncSession, metric: str) -> dict[int, Decimal]:
    banned = select(User.id).where(User.is_banned.is_(True))
    if metric == METRIC_COUNT:
        rows = (
            await session.execute(
                select(Referral.ancestor_id, func.count(Referral.id))
                .where(Referral.ancestor_id.not_in(banned))
                .group_by(Referral.ancestor_id)
            )
        ).all()
        return {int(uid): Decimal(int(n)) for uid, n in rows}
    sums = await grouped_sums(
        session,
        select(ReferralCommission.beneficiary_user_id, ReferralCommission.amount).where(
            ReferralCommission.status == CommissionStatus.CREDITED,
            ReferralCommission.beneficiary_user_id.not_in(banned),
        ),
    )
    return {int(k[0]): v for k, v in sums.items()}


async def leaderboard(session: AsyncSession, user_id: int, metric: str) -> Board:
    if metric not in METRICS:
        raise ReferralQueryError(BAD_METRIC)
    async with unit(session):
        ranked = rank_values(await _values(session, metric))
        top = ranked[:TOP_SIZE]
        mine = next((r for r in ranked if r[1] == user_id), None)
        ids = {uid for _, uid, _ in top} | ({user_id} if mine else set())
        users = {u.id: u for u in (await session.scalars(select(User).where(User.id.in_(ids)))).all()}
    rows = [BoardRow(rank, uid, display_name(users[uid]), value) for rank, uid, value in top]
    me = BoardRow(mine[0], user_id, display_name(users[user_id]), mine[2]) if mine else None
    return Board(
        metric=metric,
        top=rows,
        me=me,
        me_in_top=any(r.user_id == user_id for r in rows),
        ranked=len(ranked),
    )
