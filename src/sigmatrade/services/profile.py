"""Profile preferences: language, accrual notifications."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.models import User
from sigmatrade.services import audit


async def set_language(session: AsyncSession, user: User, lang: str) -> None:
    if lang not in ("ru", "en"):
        raise ValueError("unsupported language")
    async with session.begin():
        row = await session.get(User, user.id, populate_existing=True)
        assert row is not None
        before = row.language
        row.language = lang
        await audit.log_user_action(
            session,
            row.id,
            row.telegram_id,
            "language_changed",
            before={"language": before},
            after={"language": lang},
        )
    user.language = lang
