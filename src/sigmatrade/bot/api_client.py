"""Bot API client session: custom server URL, and 429 handling shared by every send.

On ``429 Too Many Requests`` the sender pauses all Bot API calls for ``retry_after`` seconds
and retries the same request; this is not a failure (SPEC §8.2.4).

Response models are pinned (``pin_response_model``): aiogram parses every answer with
``Response[<return type>]``, a pydantic generic class that pydantic caches only weakly; after each
garbage collection the next call of that method rebuilt it (2–10 ms inside an update, seen as p99
spikes in ``make bench-e2e``). Holding one reference per return type keeps it built.
"""

from __future__ import annotations

import asyncio
import time

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from sigmatrade.bot import private_attrs
from sigmatrade.bot.answers import AnswerTracker
from sigmatrade.logging import get_logger

log = get_logger("sigmatrade.bot.api_client")
MAX_RETRY_AFTER_ATTEMPTS = 8


class SendGate:
    """A global pause for the bot's sending path."""

    def __init__(self) -> None:
        self._until = 0.0

    def pause(self, seconds: float) -> None:
        self._until = max(self._until, time.monotonic() + seconds)

    async def wait(self) -> None:
        delay = self._until - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


_PINNED: dict[object, type] = {}


def pin_response_model(method: TelegramMethod[TelegramType]) -> None:
    """Keep ``Response[<return type of method>]`` alive (built once per return type, then a lookup)."""
    returning = method.__returning__
    if returning not in _PINNED:
        _PINNED[returning] = Response[returning]  # type: ignore[valid-type]


class RetryAfterMiddleware(BaseRequestMiddleware):
    def __init__(self, gate: SendGate) -> None:
        self.gate = gate

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        pin_response_model(method)
        attempt = 0
        while True:
            await self.gate.wait()
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                attempt += 1
                if attempt >= MAX_RETRY_AFTER_ATTEMPTS:
                    raise
                log.warning("bot_api_429", method=method.__api_method__, retry_after=exc.retry_after)
                self.gate.pause(exc.retry_after)


def build_bot(token: str, api_url: str, gate: SendGate | None = None) -> Bot:
    private_attrs.install()  # every Telegram object the bot builds or receives (bot/private_attrs.py)
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url, is_local=False))
    session.middleware(RetryAfterMiddleware(gate or SendGate()))
    session.middleware(AnswerTracker())
    return Bot(
        token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )
