"""#2 Logging: one line per update (type, user, chat, command or callback data, state, duration, outcome).

Free text is logged only as its length; the update counter and latency histogram live here.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from sigmatrade import metrics
from sigmatrade.logging import get_logger

log = get_logger("sigmatrade.updates")


def describe(update: Update) -> dict[str, Any]:
    info: dict[str, Any] = {"update_id": update.update_id, "type": update.event_type}
    if update.message is not None:
        msg = update.message
        info["telegram_id"] = msg.from_user.id if msg.from_user else None
        info["chat_id"] = msg.chat.id
        if msg.text and msg.text.startswith("/"):
            info["command"] = msg.text.split()[0][:40]
        elif msg.text is not None:
            info["text_len"] = len(msg.text)
        else:
            info["content"] = msg.content_type
    elif update.callback_query is not None:
        query = update.callback_query
        info["telegram_id"] = query.from_user.id
        info["callback_data"] = (query.data or "")[:64]
    return info


class LoggingMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        info = describe(event)
        started = time.perf_counter()
        data["outcome"] = "ok"
        try:
            result = await handler(event, data)
        except BaseException:
            data["outcome"] = "error"
            raise
        finally:
            elapsed = time.perf_counter() - started
            outcome = data.get("outcome", "ok")
            metrics.updates_total.labels(type=info["type"], outcome=outcome).inc()
            metrics.update_duration.labels(type=info["type"]).observe(elapsed)
            state = data.get("raw_state")
            log.info("update", **info, state=state, outcome=outcome, duration_ms=round(elapsed * 1000, 2))
        return result
