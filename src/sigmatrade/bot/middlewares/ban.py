"""#7 Ban / blacklist: banned users get the termination notice (once per 10 min) and nothing else;
blacklisted guests may only read welcome, help, instructions and switch language. An admin (a live,
not removed admin row) is never stopped here: a ban or blacklist entry on an admin's Telegram id,
set by any admin, would otherwise lock that admin (super admins included) out of the panel."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update

from sigmatrade.bot.middlewares.secrets_guard import forget_dropped_secret
from sigmatrade.db.models import User
from sigmatrade.runtime import Runtime
from sigmatrade.texts.i18n import Translator, resolve_language

BAN_NOTICE_SECONDS = 600
GUEST_ALLOWED_COMMANDS = ("/start", "/help", "/faq", "/language", "/menu", "/cancel")
GUEST_ALLOWED_CALLBACKS = ("nav:help", "nav:faq", "nav:instructions", "nav:language", "nav:menu", "lang:")


def blacklist_allows(update: Update) -> bool:
    if update.message is not None:
        text = update.message.text or ""
        return text.split("@")[0].split()[0] in GUEST_ALLOWED_COMMANDS if text.startswith("/") else False
    if update.callback_query is not None:
        return (update.callback_query.data or "").startswith(GUEST_ALLOWED_CALLBACKS)
    return False


class BanMiddleware(BaseMiddleware):
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
        tg = (
            event.message.from_user
            if event.message
            else (event.callback_query.from_user if event.callback_query else None)
        )
        if tg is None or data.get("admin") is not None:
            return await handler(event, data)
        lang = resolve_language(
            user.language if user else None, tg.language_code, self.rt.config.default_language
        )
        t = Translator(lang)
        if user is not None and user.is_banned:
            data["outcome"] = "denied"
            await forget_dropped_secret(event, data)
            if await self.rt.counter.once(f"bannote:{tg.id}", BAN_NOTICE_SECONDS):
                await self._say(event, t, "err.banned")
            elif event.callback_query is not None:
                with contextlib.suppress(TelegramAPIError):
                    await event.callback_query.answer()
            return None
        # Whether the id is blacklisted comes with the user row (``UserLoadingMiddleware``).
        if user is None and data.get("blacklisted") and not blacklist_allows(event):
            data["outcome"] = "denied"
            await forget_dropped_secret(event, data)
            await self._say(event, t, "err.blacklisted")
            return None
        return await handler(event, data)

    async def _say(self, update: Update, t: Translator, key: str) -> None:
        with contextlib.suppress(TelegramAPIError):
            if update.callback_query is not None:
                await update.callback_query.answer(t.plain(key), show_alert=True)
            elif update.message is not None:
                await update.message.answer(t(key))
