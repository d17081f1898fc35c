"""#4 Throttling: per-user sliding minute, mute with one notice, double-tap guard, admin exemption.

The three checks are one ``ratelimit.admit`` call (one Redis round trip when Redis is configured),
which also brings the update's FSM record when it lives in Redis (``fsm_storage.redis_prefetch``).
With Redis, the update's user read (``user.read_ahead``) is started just before that round trip, so
the two round trips overlap."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update

from sigmatrade.bot.fsm_storage import PREFETCHED, redis_prefetch
from sigmatrade.bot.middlewares._util import event_user
from sigmatrade.bot.middlewares.secrets_guard import forget_dropped_secret
from sigmatrade.bot.middlewares.user import read_ahead, settle_read
from sigmatrade.runtime import Runtime
from sigmatrade.services import admins
from sigmatrade.services.ratelimit import Check, admit
from sigmatrade.texts.i18n import Translator, resolve_language

DOUBLE_TAP_SECONDS = 1.0


class ThrottlingMiddleware(BaseMiddleware):
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        user = event_user(event)
        if user is None:
            return await handler(event, data)
        counter = self.rt.counter
        query = event.callback_query
        limit = int(await self.rt.store.get("throttle.updates_per_minute"))
        prefetch = redis_prefetch(data) if self.rt.redis is not None else None
        check = Check(
            tap_key=f"tap:{user.id}:{query.data}" if query is not None else None,
            tap_seconds=DOUBLE_TAP_SECONDS,
            mute_key=f"user:{user.id}",
            hits_key=f"updates:{user.id}",
            limit=limit,
            window=60,
        )
        # With Redis the user read starts now and its round trip runs during the throttle's; an update
        # refused (or failing) before the user middleware awaits the read waits for it here.
        early = read_ahead(self.rt, data, user.id) if self.rt.redis is not None else None
        try:
            outcome, values = await admit(counter, check, prefetch.redis_keys if prefetch is not None else ())
            if prefetch is not None and values is not None:
                # The update's FSM record came in the same round trip: it primes the FSM cache.
                data[PREFETCHED] = (prefetch.key, *prefetch.decode(*values))
            if outcome in ("double_tap", "muted"):
                data["outcome"] = "throttled"
                if query is not None:
                    with contextlib.suppress(TelegramAPIError):
                        await query.answer()
                await forget_dropped_secret(event, data)
                return None
            if outcome == "limited" and not await self._live_admin(user.id):
                minutes = int(await self.rt.store.get("throttle.mute_minutes"))
                await counter.mute(f"user:{user.id}", minutes * 60)
                data["outcome"] = "throttled"
                await forget_dropped_secret(event, data)
                await self._notify(event, user.language_code, minutes)
                return None
            return await handler(event, data)
        finally:
            if early is not None:
                await settle_read(early)

    async def _live_admin(self, telegram_id: int) -> bool:
        async with self.rt.db.session() as session:
            return await admins.has_live_session(session, telegram_id)

    async def _notify(self, update: Update, language_code: str | None, minutes: int) -> None:
        t = Translator(resolve_language(None, language_code, self.rt.config.default_language))
        with contextlib.suppress(TelegramAPIError):
            if update.callback_query is not None:
                await update.callback_query.answer(t.plain("err.throttled", minutes=minutes), show_alert=True)
            elif update.message is not None:
                await update.message.answer(t("err.throttled", minutes=math.ceil(minutes)))
