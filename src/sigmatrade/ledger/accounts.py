"""Ledger account codes and creation (SPEC §2.9)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.models import LedgerAccount
from sigmatrade.domain.enums import AccountKind, SystemAccount

USER_KINDS = (AccountKind.USER_AVAILABLE, AccountKind.USER_HELD, AccountKind.USER_PRINCIPAL)
_SUFFIX = {
    AccountKind.USER_AVAILABLE: "available",
    AccountKind.USER_HELD: "held",
    AccountKind.USER_PRINCIPAL: "principal",
}


def system_code(account: SystemAccount) -> str:
    return f"system:{account.value}"


def user_code(user_id: int, kind: AccountKind) -> str:
    return f"user:{user_id}:{_SUFFIX[kind]}"


def available(user_id: int) -> str:
    return user_code(user_id, AccountKind.USER_AVAILABLE)


def held(user_id: int) -> str:
    return user_code(user_id, AccountKind.USER_HELD)


def principal(user_id: int) -> str:
    return user_code(user_id, AccountKind.USER_PRINCIPAL)


async def seed_system_accounts(session: AsyncSession) -> int:
    """Create missing system accounts; returns how many were created."""
    existing = set(
        (await session.scalars(select(LedgerAccount.code).where(LedgerAccount.kind == "system"))).all()
    )
    created = 0
    for account in SystemAccount:
        code = system_code(account)
        if code not in existing:
            session.add(LedgerAccount(code=code, kind=AccountKind.SYSTEM, user_id=None))
            created += 1
    await session.flush()
    return created


async def create_user_accounts(session: AsyncSession, user_id: int) -> None:
    """The three user accounts, created in the registration transaction."""
    for kind in USER_KINDS:
        session.add(LedgerAccount(code=user_code(user_id, kind), kind=kind, user_id=user_id))
    await session.flush()
