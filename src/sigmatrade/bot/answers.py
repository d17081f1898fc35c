"""Every callback query is answered exactly once (SPEC §5.1.4).

A Bot API request middleware records which callback queries the handlers answered during the
current update (a context variable set per update); after a handler returns, any query left
unanswered is answered silently. On errors the error middleware answers with an alert.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import CallbackQuery, TelegramObject

answered_var: ContextVar[set[str] | None] = ContextVar("answered_callbacks", default=None)


def start_update() -> None:
    answered_var.set(set())


def was_answered(query_id: str) -> bool:
    answered = answered_var.get()
    return answered is not None and query_id in answered


class AnswerTracker(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        result = await make_request(bot, method)
        if isinstance(method, AnswerCallbackQuery):
            answered = answered_var.get()
            if answered is not None:
                answered.add(method.callback_query_id)
        return result


class AutoAnswerMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        if isinstance(event, CallbackQuery) and not was_answered(event.id):
            with contextlib.suppress(TelegramAPIError):
                await event.answer()
        return result
