"""#8 i18n: the user's chosen language, else (guests) the language picked before registering,
else Telegram's language_code (en* -> en, anything else -> ru)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject, Update

from sigmatrade.bot.middlewares._util import event_user
from sigmatrade.db.models import User
from sigmatrade.runtime import Runtime
from sigmatrade.texts.i18n import Translator, resolve_language


class I18nMiddleware(BaseMiddleware):
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        user: User | None = data.get("user")
        tg = event_user(event)
        chosen = user.language if user is not None else None
        if user is None:
            state: FSMContext | None = data.get("state")
            if state is not None:
                chosen = (await state.get_data()).get("lang")
        lang = resolve_language(chosen, tg.language_code if tg else None, self.rt.config.default_language)
        data["lang"] = lang
        data["t"] = Translator(lang)
        return await handler(event, data)
