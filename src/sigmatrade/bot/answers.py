"""Every callback query is answered exactly once (SPEC §5.1.4).

A Bot API request middleware records which callback queries the handlers answered during the
current update (a context variable set per update); after a handler returns, any query left
unanswered is answered silently. On errors the error middleware answers with an alert.

Navigation buttons whose handler never alerts are answered *before* the screen is built (the
button's spinner stops at once): the handler is registered with ``flags=ANSWER_FIRST`` (or
``ANSWER_FIRST_MEMBER``: only for a registered user, guests get the handler's alert). A second
answer for a query already answered in this update is not sent (Telegram would refuse it) and is
logged as a bug.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.dispatcher.flags import get_flag
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import CallbackQuery, TelegramObject

from sigmatrade.logging import get_logger

log = get_logger("sigmatrade.answers")

FLAG = "answer_first"
ANSWER_FIRST = {FLAG: "always"}  # a navigation button that never alerts
ANSWER_FIRST_MEMBER = {FLAG: "member"}  # the same for a registered user; a guest gets the handler's alert

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
        if isinstance(method, AnswerCallbackQuery) and was_answered(method.callback_query_id):
            log.error("callback_answered_twice", text=method.text, alert=bool(method.show_alert))
            return Response[TelegramType](ok=True, result=True)
        result = await make_request(bot, method)
        if isinstance(method, AnswerCallbackQuery):
            answered = answered_var.get()
            if answered is not None:
                answered.add(method.callback_query_id)
        return result


class AnswerFirstMiddleware(BaseMiddleware):
    """Inner (after the handler was chosen): answers a flagged navigation button before its handler."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        mode = get_flag(data, FLAG)
        if isinstance(event, CallbackQuery) and (
            mode == "always" or (mode == "member" and data.get("user") is not None)
        ):
            with contextlib.suppress(TelegramAPIError):
                await event.answer()
        return await handler(event, data)


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
