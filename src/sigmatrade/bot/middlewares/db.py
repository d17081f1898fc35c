"""#5 Database session: one async session per update; services commit their own units of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from sigmatrade.runtime import Runtime


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        session = self.rt.db.session()
        data["session"] = session
        data["rt"] = self.rt
        try:
            return await handler(event, data)
        finally:
            # A session outside a transaction holds no connection (services end their units and reads),
            # so most updates' sessions need no close: closing would only expunge loaded rows.
            if session.in_transaction():
                try:
                    await session.rollback()
                finally:
                    await session.close()
