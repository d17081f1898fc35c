"""Private chats only. The bot is a personal cabinet: an update from a group, supergroup or channel
(the bot added to one while "Allow Groups" is on in BotFather) is dropped before anything reads it,
so no panel, master key, finpass or balance is ever posted where others can read it. The bot leaves
such a chat (best effort) and answers nothing there. A callback query without a message (an inline
message; the bot has no inline mode) carries no chat and goes on: its handlers answer in the
presser's private chat."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update

from sigmatrade.bot.middlewares._util import update_chat
from sigmatrade.logging import get_logger

log = get_logger("sigmatrade.security")


class PrivateChatsMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        chat = update_chat(event)
        if chat is None or chat.type == ChatType.PRIVATE:
            return await handler(event, data)
        data["outcome"] = "ignored"
        log.warning("non_private_chat_ignored", chat_id=chat.id, chat_type=chat.type)
        bot: Bot = data["bot"]
        with contextlib.suppress(TelegramAPIError):
            if event.callback_query is not None:
                await event.callback_query.answer()
        with contextlib.suppress(TelegramAPIError):
            await bot.leave_chat(chat.id)
        return None
