"""#1 Request id: first; carried in a context variable into every log line, audit row and entry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from sigmatrade.bot.answers import start_update
from sigmatrade.context import new_request_id, request_id_var


class RequestIdMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        rid = request_id_var.get() or new_request_id()  # set by the update lanes (watchdog logs it)
        token = request_id_var.set(rid)
        data["request_id"] = rid
        start_update()
        with structlog.contextvars.bound_contextvars(request_id=rid):
            try:
                return await handler(event, data)
            finally:
                request_id_var.reset(token)
