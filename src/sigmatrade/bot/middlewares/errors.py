"""#3 Error handling: log once with the stack, count, answer the user with a reference, never crash."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import TelegramObject, Update

from sigmatrade import metrics
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime
from sigmatrade.texts.i18n import Translator, resolve_language

log = get_logger("sigmatrade.errors")


class ErrorMiddleware(BaseMiddleware):
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except Exception as exc:
            assert isinstance(event, Update)
            data["outcome"] = "error"
            metrics.handler_errors.labels(error=type(exc).__name__).inc()
            if isinstance(exc, TelegramForbiddenError):
                # The user blocked the bot mid-update: nothing to answer.
                log.warning("update_forbidden", error=str(exc))
                return None
            log.exception("update_failed", error_class=type(exc).__name__)
            await self._answer(event, data)
            hook = self.rt.on_unexpected_error
            if hook is not None:
                with contextlib.suppress(Exception):
                    await hook(type(exc).__name__, data.get("request_id"))
            return None

    async def _answer(self, update: Update, data: dict[str, Any]) -> None:
        bot = data.get("bot")
        if bot is None:
            return
        ref = str(data.get("request_id", ""))[:8]
        t = data.get("t")
        if not isinstance(t, Translator):
            user = update.event.from_user if hasattr(update.event, "from_user") else None
            t = Translator(
                resolve_language(None, getattr(user, "language_code", None), self.rt.config.default_language)
            )
        with contextlib.suppress(TelegramAPIError, Exception):
            if update.callback_query is not None:
                await update.callback_query.answer(
                    t.plain("err.generic_alert", ref=ref)[:200], show_alert=True
                )
                return
            if update.message is not None:
                await bot.send_message(update.message.chat.id, t("err.generic", ref=ref))
