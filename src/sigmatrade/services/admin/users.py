"""Users screen, read side (SPEC §5.8 "Users", §3.12 user card): search, recent registrations, the
card and the user's ledger, deposits and payouts pages. Every read is one short read transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.aggregate import total
from sigmatrade.db.models import (
    Deposit,
    JournalEntry,
    LedgerAccount,
    LedgerPosting,
    Payout,
    Referral,
    SupportTicket,
    User,
)
from sigmatrade.db.session import begin_read
from sigmatrade.domain import paging
from sigmatrade.domain.enums import OPEN_PAYOUT_STATUSES, AccountKind, TicketStatus
from sigmatrade.domain.ids import is_db_id
from sigmatrade.ledger.balances import Balances, user_balances

PAGE_SIZE = 10
MAX_RESULTS = 10
_WALLET = re.compile(r"^0x[0-9a-fA-F]{40}$")
_USERNAME = re.compile(r"^@?[A-Za-z0-9_]{1,64}$")
_CODE = re.compile(r"^[A-Za-z0-9]{1,16}$")


def _ended(session: AsyncSession) -> None:
    """Detach loaded rows so a later rollback cannot expire them."""
    session.expunge_all()


async def search(session: AsyncSession, text: str) -> list[User]:
    """By @username, Telegram id, user id, wallet or referral code (any that matches; at most 10)."""
    raw = text.strip()
    conditions: list[Any] = []
    if raw.isdigit() and is_db_id(int(raw)):
        conditions += [User.telegram_id == int(raw), User.id == int(raw)]
    if _WALLET.match(raw):
        conditions.append(User.wallet_address_lc == raw.lower())
    if _USERNAME.match(raw) and not raw.isdigit():
        conditions.append(User.username_lc == raw.lstrip("@").lower())
    if _CODE.match(raw):
        conditions.append(func.upper(User.referral_code) == raw.upper())
    if not conditions:
        return []
    await begin_read(session)
    rows = list(
        (
            await session.scalars(select(User).where(or_(*conditions)).order_by(User.id).limit(MAX_RESULTS))
        ).all()
    )
    await session.commit()
    _ended(session)
    return rows


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page: int
    pages: int
    total: int


async def recent(session: AsyncSession, page: int) -> Page:
    await begin_read(session)
    count = int(await session.scalar(select(func.count()).select_from(User)) or 0)
    page, pages = paging.clamp(page, count, PAGE_SIZE)
    rows = list(
        (
            await session.scalars(
                select(User).order_by(User.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
            )
        ).all()
    )
    await session.commit()
    _ended(session)
    return Page(rows, page, pages, count)


@dataclass(frozen=True)
class Card:
    user: User
    balances: Balances
    deposits: dict[str, int]  # status -> count
    referrals: dict[int, int]  # depth -> count
    open_payouts: int
    open_payouts_sum: Decimal
    ticket_id: int | None
    referrer: User | None


async def card(session: AsyncSession, user_id: int) -> Card | None:
    if not is_db_id(user_id):
        return None
    await begin_read(session)
    user = await session.get(User, user_id, populate_existing=True)
    if user is None:
        await session.commit()
        return None
    balances = await user_balances(session, user_id)
    deposits = {
        status: int(n)
        for status, n in (
            await session.execute(
                select(Deposit.status, func.count())
                .where(Deposit.user_id == user_id)
                .group_by(Deposit.status)
            )
        ).all()
    }
    referrals = {
        int(depth): int(n)
        for depth, n in (
            await session.execute(
                select(Referral.depth, func.count())
                .where(Referral.ancestor_id == user_id)
                .group_by(Referral.depth)
            )
        ).all()
    }
    open_filter = (Payout.user_id == user_id, Payout.status.in_(OPEN_PAYOUT_STATUSES))
    open_count = int(await session.scalar(select(func.count()).select_from(Payout).where(*open_filter)) or 0)
    open_sum = await total(session, select(Payout.amount).where(*open_filter))
    ticket = await session.scalar(
        select(SupportTicket.id).where(
            SupportTicket.user_id == user_id,
            SupportTicket.status.in_([TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.ANSWERED]),
        )
    )
    referrer = await session.get(User, user.referrer_id) if user.referrer_id else None
    await session.commit()
    _ended(session)
    return Card(user, balances, deposits, referrals, open_count, open_sum, ticket, referrer)


@dataclass(frozen=True)
class LedgerLine:
    entry: JournalEntry
    amount: Decimal  # signed, on the user's available account


async def ledger(session: AsyncSession, user_id: int, page: int) -> Page:
    """Postings on the user's available balance, newest first (10 per page)."""
    await begin_read(session)
    account = await session.scalar(
        select(LedgerAccount.id).where(
            LedgerAccount.user_id == user_id, LedgerAccount.kind == AccountKind.USER_AVAILABLE
        )
    )
    if account is None:
        await session.commit()
        return Page([], 1, 1, 0)
    count = int(await session.scalar(select(func.count()).where(LedgerPosting.account_id == account)) or 0)
    page, pages = paging.clamp(page, count, PAGE_SIZE)
    rows = (
        await session.execute(
            select(JournalEntry, LedgerPosting.amount)
            .join(LedgerPosting, LedgerPosting.entry_id == JournalEntry.id)
            .where(LedgerPosting.account_id == account)
            .order_by(JournalEntry.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    ).all()
    await session.commit()
    _ended(session)
    return Page([LedgerLine(e, a) for e, a in rows], page, pages, count)


async def deposits(session: AsyncSession, user_id: int, page: int) -> Page:
    await begin_read(session)
    count = int(await session.scalar(select(func.count()).where(Deposit.user_id == user_id)) or 0)
    page, pages = paging.clamp(page, count, PAGE_SIZE)
    rows = list(
        (
            await session.scalars(
                select(Deposit)
                .where(Deposit.user_id == user_id)
                .order_by(Deposit.id.desc())
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        ).all()
    )
    await session.commit()
    _ended(session)
    return Page(rows, page, pages, count)


async def payouts(session: AsyncSession, user_id: int, page: int) -> Page:
    await begin_read(session)
    count = int(await session.scalar(select(func.count()).where(Payout.user_id == user_id)) or 0)
    page, pages = paging.clamp(page, count, PAGE_SIZE)
    rows = list(
        (
            await session.scalars(
                select(Payout)
                .where(Payout.user_id == user_id)
                .order_by(Payout.id.desc())
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        ).all()
    )
    await session.commit()
    _ended(session)
    return Page(rows, page, pages, count)
