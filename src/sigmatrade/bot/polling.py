"""Long polling guarded by the ``telegram_polling`` lease (only one replica polls).

Updates of one batch are processed concurrently across users and in order per user; the
next ``getUpdates`` call (which confirms the batch) is made only after the whole batch was
handled, so a crash never loses an update (it is processed again instead).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramConflictError, TelegramNetworkError, TelegramServerError
from aiogram.methods import GetUpdates
from aiogram.types import Update

from sigmatrade.db import leases
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime

log = get_logger("sigmatrade.polling")
LEASE_NAME = "telegram_polling"
LEASE_TTL = 60.0
LEASE_RENEW_EVERY = 20.0
ALLOWED_UPDATES = ["message", "callback_query"]


def _chat_key(update: Update) -> int:
    if update.message is not None and update.message.from_user is not None:
        return update.message.from_user.id
    if update.callback_query is not None:
        return update.callback_query.from_user.id
    return 0


class Poller:
    def __init__(self, rt: Runtime, bot: Bot, dp: Dispatcher, *, timeout: int = 10) -> None:
        self.rt = rt
        self.bot = bot
        self.dp = dp
        self.timeout = timeout
        self.offset: int | None = None
        self._stop = asyncio.Event()
        self._lease_checked = 0.0
        self.has_lease = False
        self.started = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def _hold_lease(self) -> bool:
        now = time.monotonic()
        if self.has_lease and now - self._lease_checked < LEASE_RENEW_EVERY:
            return True
        self.has_lease = await leases.acquire(self.rt.db, LEASE_NAME, self.rt.replica_id, LEASE_TTL)
        self._lease_checked = now
        return self.has_lease

    async def run(self) -> None:
        backoff = 0.5
        self.started.set()
        try:
            while not self._stop.is_set():
                if not await self._hold_lease():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), 5)
                    continue
                try:
                    updates = await self._get_updates()
                except (TelegramNetworkError, TelegramServerError, TelegramConflictError, OSError) as exc:
                    log.warning("polling_failed", error=str(exc), retry_in=backoff)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), backoff)
                    backoff = min(backoff * 2, 30)
                    continue
                backoff = 0.5
                if updates:
                    await self._process(updates)
                    self.offset = updates[-1].update_id + 1
        finally:
            if self.has_lease:
                with contextlib.suppress(Exception):
                    if self.offset is not None:
                        # confirm what was processed before letting another replica poll
                        await self.bot(
                            GetUpdates(
                                offset=self.offset, timeout=0, limit=1, allowed_updates=ALLOWED_UPDATES
                            )
                        )
                    await leases.release(self.rt.db, LEASE_NAME, self.rt.replica_id)
                self.has_lease = False

    async def _get_updates(self) -> list[Update]:
        request = GetUpdates(offset=self.offset, timeout=self.timeout, allowed_updates=ALLOWED_UPDATES)
        fetch = asyncio.ensure_future(self.bot(request, request_timeout=self.timeout + 10))
        stop = asyncio.ensure_future(self._stop.wait())
        try:
            done, _ = await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if fetch not in done:
            fetch.cancel()
            with contextlib.suppress(BaseException):
                await fetch
            return []
        return list(fetch.result())

    async def _process(self, updates: list[Update]) -> None:
        groups: dict[int, list[Update]] = defaultdict(list)
        for update in updates:
            groups[_chat_key(update)].append(update)

        async def run_group(items: list[Update]) -> None:
            for update in items:
                await self.feed(update)

        await asyncio.gather(*(run_group(items) for items in groups.values()))

    async def feed(self, update: Update) -> Any:
        try:
            return await self.dp.feed_update(self.bot, update)
        except Exception:  # the error middleware handles everything; this is the last net
            log.exception("update_crashed", update_id=update.update_id)
            return None
