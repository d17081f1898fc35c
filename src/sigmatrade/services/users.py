"""User lookups shared by the bot and services."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.models import User


def display_name(user: User) -> str:
    """@username if present, otherwise 'User #<id>' (callers escape it for HTML)."""
    return f"@{user.username}" if user.username else f"User #{user.id}"


async def by_telegram_id(session: AsyncSession, telegram_id: int) -> User | None:
    user: User | None = await session.scalar(select(User).where(User.telegram_id == telegram_id))
    return user


async def by_referral_code(session: AsyncSession, code: str) -> User | None:
    code = code.strip().upper()
    if not code or len(code) > 16 or not code.isalnum():
        return None
    user: User | None = await session.scalar(select(User).where(func.upper(User.referral_code) == code))
    return user
