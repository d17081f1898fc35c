"""The middleware chain of SPEC §6, outer to inner. ``install`` registers it in order."""

from __future__ import annotations

from aiogram import Dispatcher

from sigmatrade.bot.answers import AnswerFirstMiddleware, AutoAnswerMiddleware
from sigmatrade.bot.fsm_storage import FsmUpdateCacheMiddleware
from sigmatrade.bot.middlewares.ban import BanMiddleware
from sigmatrade.bot.middlewares.db import DbSessionMiddleware
from sigmatrade.bot.middlewares.errors import ErrorMiddleware
from sigmatrade.bot.middlewares.i18n import I18nMiddleware
from sigmatrade.bot.middlewares.logging import LoggingMiddleware
from sigmatrade.bot.middlewares.private_chats import PrivateChatsMiddleware
from sigmatrade.bot.middlewares.request_id import RequestIdMiddleware
from sigmatrade.bot.middlewares.secrets_guard import SecretsGuardMiddleware
from sigmatrade.bot.middlewares.throttling import ThrottlingMiddleware
from sigmatrade.bot.middlewares.user import UserLoadingMiddleware
from sigmatrade.runtime import Runtime


def install(dp: Dispatcher, rt: Runtime) -> None:
    """Register the chain. The FSM context comes after user loading (it needs no DB session of ours)."""
    chain = [
        RequestIdMiddleware(),
        LoggingMiddleware(),
        PrivateChatsMiddleware(),
        ErrorMiddleware(rt),
        ThrottlingMiddleware(rt),
        DbSessionMiddleware(rt),
        UserLoadingMiddleware(rt),
    ]
    for middleware in chain:
        dp.update.outer_middleware(middleware)
    dp.update.outer_middleware(FsmUpdateCacheMiddleware())
    dp.update.outer_middleware(dp.fsm)
    dp.update.outer_middleware(BanMiddleware(rt))
    dp.update.outer_middleware(I18nMiddleware(rt))
    dp.update.outer_middleware(SecretsGuardMiddleware())
    # Every callback query is answered once: silently if the handler did not (errors: see ErrorMiddleware).
    dp.callback_query.outer_middleware(AutoAnswerMiddleware())
    # Flagged navigation buttons are answered before their handler runs (bot/answers.py).
    dp.callback_query.middleware(AnswerFirstMiddleware())


__all__ = ["install"]
