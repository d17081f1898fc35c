"""Concurrent update handling: one lane per user (their updates in order), many users at once.

Polling and the webhook both hand updates to ``UpdateLanes``: a slow update (a lock wait, a slow
RPC, a hashing burst) holds only its own user's lane. The set of unfinished update ids tells the
poller which offset it may confirm (everything below the lowest unfinished id).

A watchdog logs every update that runs longer than ``watchdog_seconds`` with its request id and
the await chain it is waiting in, and counts it in ``sigmatrade_slow_updates_total``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.types import Update

from sigmatrade import metrics
from sigmatrade.context import new_request_id, request_id_var
from sigmatrade.logging import awaiting_stack, get_logger

log = get_logger("sigmatrade.updates")
Handler = Callable[[Update], Awaitable[Any]]

# aiogram keeps ``Update.event_type`` in an LRU cache of the last 128 updates: the first lookup of each
# new update evicted the oldest and freed that update's whole object tree on the new update's path
# (about 20 µs inside the process). Emptied when an update ends, the cache holds only the updates in
# flight; a lookup it no longer has is recomputed (a few attribute checks).
_forget_event_types: Callable[[], None] = getattr(
    getattr(vars(Update).get("event_type"), "fget", None), "cache_clear", lambda: None
)


def lane_key(update: Update) -> int:
    """The user an update belongs to (0 for updates without one: they share a lane)."""
    if update.message is not None and update.message.from_user is not None:
        return update.message.from_user.id
    if update.callback_query is not None:
        return update.callback_query.from_user.id
    return 0


class UpdateLanes:
    def __init__(self, handle: Handler, *, watchdog_seconds: float = 5.0) -> None:
        self._handle = handle
        self.watchdog_seconds = watchdog_seconds
        self._lanes: dict[int, deque[tuple[Update, asyncio.Future[None]]]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self.unfinished: set[int] = set()
        self.finished = 0  # updates finished so far (a poller waits for this to move)
        self._finish_waiters: list[asyncio.Future[None]] = []

    def submit(self, update: Update) -> asyncio.Future[None]:
        """Queue an update on its user's lane; the future resolves once it was handled."""
        key = lane_key(update)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.unfinished.add(update.update_id)
        metrics.updates_in_flight.inc()
        self._lanes.setdefault(key, deque()).append((update, done))
        if key not in self._workers:
            self._workers[key] = asyncio.create_task(self._drain(key), name=f"lane:{key}")
        return done

    def lowest_unfinished(self) -> int | None:
        return min(self.unfinished) if self.unfinished else None

    async def wait_finished(self, since: int, timeout: float) -> None:
        """Until an update finishes after ``finished`` was ``since`` (at once if one did), or ``timeout``."""
        if self.finished != since:
            return
        # A bare future and a timer: the poller sets this up right after handing an update to its lane and
        # before the lane starts, so it is on every update's path (``wait_for`` on an event cost a task
        # and two more loop steps).
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._finish_waiters.append(waiter)
        timer = loop.call_later(timeout, _wake, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            with contextlib.suppress(ValueError):
                self._finish_waiters.remove(waiter)

    async def drain(self, grace: float, cancel_grace: float = 5.0) -> None:
        """Let running lanes finish for up to ``grace`` seconds, then cancel the rest (not confirmed) and
        give them up to ``cancel_grace`` seconds to unwind."""
        workers = list(self._workers.values())
        if not workers:
            return
        _, pending = await asyncio.wait(workers, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=cancel_grace)
            log.warning("updates_cancelled_at_shutdown", count=len(self.unfinished))

    async def _drain(self, key: int) -> None:
        lane = self._lanes[key]
        try:
            while lane:
                update, done = lane[0]
                await self._run(key, update)
                lane.popleft()
                self.unfinished.discard(update.update_id)
                metrics.updates_in_flight.dec()
                if not done.done():
                    done.set_result(None)
                self.finished += 1
                waiters, self._finish_waiters = self._finish_waiters, []
                for waiter in waiters:
                    _wake(waiter)
        finally:
            self._workers.pop(key, None)
            if not lane:
                self._lanes.pop(key, None)
            else:  # cancelled: what is left stays unfinished (replayed after a restart)
                for _, done in lane:
                    done.cancel()

    async def _run(self, key: int, update: Update) -> None:
        rid = new_request_id()
        token = request_id_var.set(rid)  # the request-id middleware keeps it
        started = time.monotonic()
        task = asyncio.current_task()
        timer = asyncio.get_running_loop().call_later(
            self.watchdog_seconds, self._slow, update.update_id, key, rid, started, task
        )
        try:
            await self._handle(update)
        except Exception:  # the error middleware handles everything; this is the last net
            log.exception("update_crashed", update_id=update.update_id, request_id=rid)
        finally:
            timer.cancel()
            request_id_var.reset(token)
            _forget_event_types()

    def _slow(
        self, update_id: int, key: int, rid: str, started: float, task: asyncio.Task[Any] | None
    ) -> None:
        metrics.slow_updates.inc()
        log.warning(
            "update_slow",
            update_id=update_id,
            request_id=rid,
            telegram_id=key,
            running_s=round(time.monotonic() - started, 1),
            waiting_in=awaiting_stack(task),
        )


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
