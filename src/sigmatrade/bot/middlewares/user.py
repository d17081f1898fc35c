"""#6 User loading: ``user`` and ``admin`` rows by Telegram id; refresh profile fields; clear unreachable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.bot.middlewares._util import event_user
from sigmatrade.db.models import Admin, User
from sigmatrade.runtime import Runtime

LAST_SEEN_EVERY = timedelta(minutes=5)


class UserLoadingMiddleware(BaseMiddleware):
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        tg = event_user(event)
        data["user"] = None
        data["admin"] = None
        if tg is not None:
            session: AsyncSession = data["session"]
            user = await session.scalar(select(User).where(User.telegram_id == tg.id))
            admin = await session.scalar(
                select(Admin).where(Admin.telegram_id == tg.id, Admin.removed_at.is_(None))
            )
            if user is not None:
                _refresh(user, tg.username, tg.first_name, tg.language_code)
            if session.in_transaction():
                await session.commit()  # saves refreshed fields and ends the read
            # Detached snapshots: a later rollback in a service can never expire them. Services that
            # change a user load it again inside their own unit of work.
            for row in (user, admin):
                if row is not None:
                    session.expunge(row)
            data["user"] = user
            data["admin"] = admin
        return await handler(event, data)


def _refresh(user: User, username: str | None, first_name: str | None, language_code: str | None) -> None:
    now = clock.now()
    if user.username != username:
        user.username = username
        user.username_lc = username.lower() if username else None
    if first_name is not None and user.first_name != first_name[:128]:
        user.first_name = first_name[:128]
    if language_code is not None and user.telegram_language_code != language_code[:16]:
        user.telegram_language_code = language_code[:16]
    if user.is_unreachable:
        user.is_unreachable = False
        user.unreachable_since = None
    if user.last_seen_at is None or now - user.last_seen_at >= LAST_SEEN_EVERY:
        user.last_seen_at = now
