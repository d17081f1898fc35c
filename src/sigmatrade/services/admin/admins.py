"""Admin management (SPEC §5.7.1, §5.8 "Admins", §10.4 ``sigmatrade admin …``): add (or restore),
change role, reset key, remove. Shared by the CLI (actor ``cli``) and the super admins' screen.

Invariants, checked under row locks so two super admins acting at once cannot break them: there is
always at least one super admin; an admin never removes, demotes or resets themself from the bot; the
acting admin must still be a super admin when the change commits. A new key is printed/shown once
and only its argon2id hash is stored. Removing an admin or resetting their key revokes their sessions.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.models import Admin, User
from sigmatrade.db.session import begin_read, is_postgres
from sigmatrade.domain.codes import new_master_key
from sigmatrade.domain.enums import AdminCreatedVia, AdminRole, SessionRevokeReason
from sigmatrade.domain.paging import page_count
from sigmatrade.services import audit, crypto
from sigmatrade.services.admin.access import revoke_all

PAGE_SIZE = 10
MAX_TELEGRAM_ID = 2**53  # Telegram ids fit in 52 bits


class AdminsError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # exists, not_found, self, last_super, not_allowed, bad_id


@dataclass(frozen=True)
class Issued:
    """An admin row and its new master key (shown once, never stored)."""

    admin: Admin
    key: str
    restored: bool = False


def parse_telegram_id(text: str) -> int:
    raw = text.strip()
    if not raw.isdigit() or not 0 < int(raw) < MAX_TELEGRAM_ID:
        raise AdminsError("bad_id")
    return int(raw)


def snapshot(admin: Admin) -> dict[str, object]:
    return {"role": admin.role, "removed_at": admin.removed_at, "key_set": admin.master_key_hash is not None}


async def _hashed_key() -> tuple[str, str]:
    key = new_master_key()
    return key, await asyncio.to_thread(crypto.hash_secret, key)


async def _lock_supers(session: AsyncSession) -> list[Admin]:
    """Every live super admin row, locked in id order (PostgreSQL; SQLite holds its write lock)."""
    stmt = (
        select(Admin)
        .where(Admin.role == AdminRole.SUPER_ADMIN, Admin.removed_at.is_(None))
        .order_by(Admin.id)
        .execution_options(populate_existing=True)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update()
    return list((await session.scalars(stmt)).all())


async def _check_actor(session: AsyncSession, by: Admin | None) -> None:
    """The acting admin (None: the CLI) must still be a live super admin."""
    if by is None:
        return
    row = await session.get(Admin, by.id, populate_existing=True)
    if row is None or row.removed_at is not None or row.role != AdminRole.SUPER_ADMIN:
        raise AdminsError("not_allowed")


async def _target(session: AsyncSession, telegram_id: int, *, live: bool = True) -> Admin:
    stmt = select(Admin).where(Admin.telegram_id == telegram_id).execution_options(populate_existing=True)
    if is_postgres(session):
        stmt = stmt.with_for_update()
    row = await session.scalar(stmt)
    if row is None or (live and row.removed_at is not None):
        raise AdminsError("not_found")
    return row


def _actor(by: Admin | None) -> audit.Actor:
    return audit.CLI if by is None else audit.admin_actor(by.id, by.telegram_id)


async def add(
    session: AsyncSession,
    telegram_id: int,
    role: AdminRole,
    *,
    by: Admin | None = None,
    username: str | None = None,
) -> Issued:
    """Inside the caller's unit: a new admin (or a removed one restored) with a new master key."""
    key, hashed = await _hashed_key()
    await _lock_supers(session)
    await _check_actor(session, by)
    now = clock.now()
    if username is None:
        username = await session.scalar(select(User.username).where(User.telegram_id == telegram_id))
    row = await session.scalar(
        select(Admin).where(Admin.telegram_id == telegram_id).execution_options(populate_existing=True)
    )
    restored = row is not None
    if row is not None and row.removed_at is None:
        raise AdminsError("exists")
    before = snapshot(row) if row is not None else None
    via = AdminCreatedVia.CLI if by is None else AdminCreatedVia.BOT
    if row is None:
        row = Admin(telegram_id=telegram_id, role=role, created_via=via)
        session.add(row)
    row.role = role
    row.username = username[:64] if username else row.username
    row.master_key_hash = hashed
    row.failed_login_attempts = 0
    row.locked_until = None
    row.removed_at = None
    row.created_by_admin_id = by.id if by is not None else None
    row.updated_at = now
    await session.flush()
    await audit.log(
        session,
        _actor(by),
        "admin_restored" if restored else "admin_added",
        target_type="admin",
        target_id=row.id,
        before=before,
        after=snapshot(row),
        details={"telegram_id": telegram_id, "via": str(via)},
    )
    return Issued(row, key, restored)


async def remove(session: AsyncSession, telegram_id: int, *, by: Admin | None = None) -> Admin:
    supers = await _lock_supers(session)
    await _check_actor(session, by)
    row = await _target(session, telegram_id)
    if by is not None and row.id == by.id:
        raise AdminsError("self")
    if row.role == AdminRole.SUPER_ADMIN and len(supers) <= 1:
        raise AdminsError("last_super")
    before = snapshot(row)
    now = clock.now()
    row.removed_at = now
    row.updated_at = now
    revoked = await revoke_all(session, row.id, SessionRevokeReason.REMOVED)
    await audit.log(
        session,
        _actor(by),
        "admin_removed",
        target_type="admin",
        target_id=row.id,
        before=before,
        after=snapshot(row),
        details={"telegram_id": telegram_id, "revoked_sessions": revoked},
    )
    return row


async def set_role(
    session: AsyncSession, telegram_id: int, role: AdminRole, *, by: Admin | None = None
) -> Admin:
    supers = await _lock_supers(session)
    await _check_actor(session, by)
    row = await _target(session, telegram_id)
    if by is not None and row.id == by.id:
        raise AdminsError("self")
    if row.role == AdminRole.SUPER_ADMIN and role != AdminRole.SUPER_ADMIN and len(supers) <= 1:
        raise AdminsError("last_super")
    if row.role == role:
        return row
    before = snapshot(row)
    row.role = role
    row.updated_at = clock.now()
    await audit.log(
        session,
        _actor(by),
        "admin_role_changed",
        target_type="admin",
        target_id=row.id,
        before=before,
        after=snapshot(row),
        details={"telegram_id": telegram_id},
    )
    return row


async def reset_key(session: AsyncSession, telegram_id: int, *, by: Admin | None = None) -> Issued:
    key, hashed = await _hashed_key()
    await _lock_supers(session)
    await _check_actor(session, by)
    row = await _target(session, telegram_id)
    if by is not None and row.id == by.id:
        raise AdminsError("self")
    before = {**snapshot(row), "locked_until": row.locked_until}
    row.master_key_hash = hashed
    row.failed_login_attempts = 0
    row.locked_until = None
    row.updated_at = clock.now()
    revoked = await revoke_all(session, row.id, SessionRevokeReason.KEY_RESET)
    await audit.log(
        session,
        _actor(by),
        "admin_key_reset",
        target_type="admin",
        target_id=row.id,
        before=before,
        after={**snapshot(row), "locked_until": None},
        details={"telegram_id": telegram_id, "revoked_sessions": revoked},
    )
    return Issued(row, key)


@dataclass(frozen=True)
class AdminRow:
    admin: Admin
    created_by: int | None  # Telegram id of the creating admin


@dataclass(frozen=True)
class AdminPage:
    rows: list[AdminRow]
    page: int
    pages: int
    total: int


async def listing(session: AsyncSession, page: int = 1, *, size: int = PAGE_SIZE) -> AdminPage:
    """Live admins, super admins first, then by id (the CLI passes a large size)."""
    await begin_read(session)
    total = int(await session.scalar(select(func.count()).where(Admin.removed_at.is_(None))) or 0)
    pages = page_count(total, size)
    page = 1 if page < 1 else min(page, pages)
    creator = Admin.__table__.alias("creator")
    rank = {AdminRole.SUPER_ADMIN: 0, AdminRole.EXTENDED_ADMIN: 1, AdminRole.ADMIN: 2}
    rows = (
        await session.execute(
            select(Admin, creator.c.telegram_id)
            .outerjoin(creator, creator.c.id == Admin.created_by_admin_id)
            .where(Admin.removed_at.is_(None))
            .order_by(Admin.id)
        )
    ).all()
    await session.commit()
    ordered = sorted(rows, key=lambda r: (rank[AdminRole(r[0].role)], r[0].id))
    chunk = ordered[(page - 1) * size : page * size]
    return AdminPage([AdminRow(a, tg) for a, tg in chunk], page, pages, total)


async def by_id(session: AsyncSession, admin_id: int) -> Admin | None:
    await begin_read(session)
    row = await session.get(Admin, admin_id, populate_existing=True)
    await session.commit()
    return row if row is not None and row.removed_at is None else None


def locked(admin: Admin, now: datetime | None = None) -> bool:
    return admin.locked_until is not None and admin.locked_until > (now or clock.now())
