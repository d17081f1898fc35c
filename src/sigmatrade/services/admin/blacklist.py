"""Blacklist screen (SPEC §3.9.1–§3.9.2): add (a Telegram id, a wallet, or both, then an optional reason;
an existing entry gets the new reason), remove by id or wallet, list 10 per page. Audited."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.models import Admin, Blacklist, User
from sigmatrade.db.session import begin_read, unit
from sigmatrade.domain.addresses import AddressError, ParsedAddress, parse_address
from sigmatrade.domain.paging import page_count
from sigmatrade.services import audit
from sigmatrade.services.admin.access import actor
from sigmatrade.services.admin.user_actions import clean_reason

PAGE_SIZE = 10
MAX_TELEGRAM_ID = 2**53
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


class BlacklistError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # empty, bad_wallet, absent


@dataclass(frozen=True)
class Target:
    telegram_id: int | None
    wallet_lc: str | None
    reason: str | None


def parse(text: str, *, with_reason: bool = True) -> Target:
    """Leading tokens: a Telegram id and/or a wallet (any order); the rest is the reason."""
    tokens = text.split()
    telegram_id: int | None = None
    wallet: str | None = None
    rest = 0
    for token in tokens[:2]:
        if telegram_id is None and token.isdigit() and 0 < int(token) < MAX_TELEGRAM_ID:
            telegram_id = int(token)
        elif wallet is None and _ADDRESS.match(token):
            parsed = parse_address(token)
            if parsed == AddressError.CHECKSUM or not isinstance(parsed, ParsedAddress):
                raise BlacklistError("bad_wallet")
            wallet = parsed.lower
        else:
            break
        rest += 1
    if telegram_id is None and wallet is None:
        raise BlacklistError("empty")
    reason = clean_reason(" ".join(tokens[rest:])) if with_reason else None
    return Target(telegram_id, wallet, reason)


@dataclass(frozen=True)
class Added:
    entries: list[Blacklist]
    updated: bool
    user: User | None  # the registered user with this Telegram id or wallet (offer a ban)


def _match(target: Target) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if target.telegram_id is not None:
        conditions.append(Blacklist.telegram_id == target.telegram_id)
    if target.wallet_lc is not None:
        conditions.append(Blacklist.wallet_address_lc == target.wallet_lc)
    return conditions


async def add(session: AsyncSession, admin: Admin, target: Target) -> Added:
    async with unit(session):
        existing = list(
            (
                await session.scalars(select(Blacklist).where(or_(*_match(target))).order_by(Blacklist.id))
            ).all()
        )
        if existing:
            for row in existing:
                before = {"reason": row.reason}
                row.reason = target.reason
                await audit.log(
                    session,
                    actor(admin),
                    "blacklist_updated",
                    target_type="blacklist",
                    target_id=row.id,
                    before=before,
                    after={"reason": row.reason},
                )
            # A second identifier not yet covered by the matched row(s) gets its own entry.
            covered_tg = any(r.telegram_id == target.telegram_id for r in existing)
            covered_wallet = any(r.wallet_address_lc == target.wallet_lc for r in existing)
            extra = Target(
                None if covered_tg else target.telegram_id,
                None if covered_wallet else target.wallet_lc,
                target.reason,
            )
            rows = existing + (
                [await _insert(session, admin, extra)] if extra.telegram_id or extra.wallet_lc else []
            )
            updated = True
        else:
            rows = [await _insert(session, admin, target)]
            updated = False
        user_conditions = []
        if target.telegram_id is not None:
            user_conditions.append(User.telegram_id == target.telegram_id)
        if target.wallet_lc is not None:
            user_conditions.append(User.wallet_address_lc == target.wallet_lc)
        user = await session.scalar(select(User).where(or_(*user_conditions)).order_by(User.id).limit(1))
    for row in rows:
        session.expunge(row)
    if user is not None:
        session.expunge(user)
    return Added(rows, updated, user)


async def _insert(session: AsyncSession, admin: Admin, target: Target) -> Blacklist:
    row = Blacklist(
        telegram_id=target.telegram_id,
        wallet_address_lc=target.wallet_lc,
        reason=target.reason,
        created_by_admin_id=admin.id,
    )
    session.add(row)
    await session.flush()
    await audit.log(
        session,
        actor(admin),
        "blacklist_added",
        target_type="blacklist",
        target_id=row.id,
        after={"telegram_id": row.telegram_id, "wallet": row.wallet_address_lc, "reason": row.reason},
    )
    return row


async def remove(session: AsyncSession, admin: Admin, target: Target) -> int:
    """Delete the entries matching the id or the wallet; none → ``absent``."""
    async with unit(session):
        rows = list((await session.scalars(select(Blacklist).where(or_(*_match(target))))).all())
        if not rows:
            raise BlacklistError("absent")
        for row in rows:
            await audit.log(
                session,
                actor(admin),
                "blacklist_removed",
                target_type="blacklist",
                target_id=row.id,
                before={
                    "telegram_id": row.telegram_id,
                    "wallet": row.wallet_address_lc,
                    "reason": row.reason,
                },
            )
            await session.delete(row)
    return len(rows)


@dataclass(frozen=True)
class Entry:
    row: Blacklist
    by: int | None  # Telegram id of the admin who added it


@dataclass(frozen=True)
class EntryPage:
    entries: list[Entry]
    page: int
    pages: int
    total: int


async def listing(session: AsyncSession, page: int) -> EntryPage:
    await begin_read(session)
    count = int(await session.scalar(select(func.count()).select_from(Blacklist)) or 0)
    pages = page_count(count, PAGE_SIZE)
    page = 1 if page < 1 else min(page, pages)
    rows = (
        await session.execute(
            select(Blacklist, Admin.telegram_id)
            .outerjoin(Admin, Admin.id == Blacklist.created_by_admin_id)
            .order_by(Blacklist.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    ).all()
    await session.commit()
    session.expunge_all()
    return EntryPage([Entry(r, tg) for r, tg in rows], page, pages, count)
