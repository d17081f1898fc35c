"""Finpass recovery requests, admin side (SPEC §3.8.3, §5.8 "Finpass requests"): the open requests
oldest first and one request with its user. Take, approve and reject are ``services.recovery``'s
(the new password is generated there, stored only as a hash and sent once, never queued)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.models import Admin, FinpassRecovery, User
from sigmatrade.db.session import unit
from sigmatrade.domain.enums import RecoveryStatus
from sigmatrade.domain.paging import page_count
from sigmatrade.ledger.balances import Balances, user_balances

PAGE_SIZE = 5
OPEN = (RecoveryStatus.PENDING, RecoveryStatus.IN_REVIEW)


@dataclass(frozen=True)
class Entry:
    request: FinpassRecovery
    user: User
    handler: Admin | None = None
    balances: Balances | None = None


@dataclass(frozen=True)
class EntryPage:
    items: Sequence[Entry]
    page: int
    pages: int
    total: int


async def queue(session: AsyncSession, page: int) -> EntryPage:
    async with unit(session):
        count = int(
            await session.scalar(
                select(func.count(FinpassRecovery.id)).where(FinpassRecovery.status.in_(OPEN))
            )
            or 0
        )
        pages = page_count(count, PAGE_SIZE)
        page = 1 if page < 1 else min(page, pages)
        rows = (
            await session.execute(
                select(FinpassRecovery, User)
                .join(User, User.id == FinpassRecovery.user_id)
                .where(FinpassRecovery.status.in_(OPEN))
                .order_by(FinpassRecovery.created_at, FinpassRecovery.id)
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        ).all()
    return EntryPage([Entry(r, u) for r, u in rows], page, pages, count)


async def entry(session: AsyncSession, request_id: int) -> Entry | None:
    async with unit(session):
        row = await session.get(FinpassRecovery, request_id, populate_existing=True)
        if row is None:
            return None
        user = await session.get(User, row.user_id, populate_existing=True)
        assert user is not None
        handler = await session.get(Admin, row.handled_by_admin_id) if row.handled_by_admin_id else None
        balances = await user_balances(session, user.id)
    return Entry(row, user, handler, balances)
