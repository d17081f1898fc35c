"""Messages that delete themselves later (a master key shown once is deleted after 5 minutes).

The wait follows the application clock (tests travel in time) and is checked twice a second. It lives
in this process: a restart before the deadline leaves the message (docs/decisions.md)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from sigmatrade import clock

_pending: set[asyncio.Task[None]] = set()
POLL_SECONDS = 0.5


def delete_later(bot: Bot, chat_id: int, message_id: int, after: timedelta) -> None:
    task = asyncio.create_task(_delete_at(bot, chat_id, message_id, clock.now() + after))
    _pending.add(task)
    task.add_done_callback(_pending.discard)


async def _delete_at(bot: Bot, chat_id: int, message_id: int, deadline: datetime) -> None:
    while clock.now() < deadline:  # noqa: ASYNC110 - polls the application clock (it can travel in tests)
        await asyncio.sleep(POLL_SECONDS)
    with contextlib.suppress(TelegramAPIError, OSError, RuntimeError):
        await bot.delete_message(chat_id, message_id)
