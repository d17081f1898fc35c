"""``UpdateLanes.wait_finished``: the poller's wait for the next finished update."""

from __future__ import annotations

import asyncio
import time

from aiogram.types import Update

from sigmatrade.bot.lanes import UpdateLanes
from tests.updates import message_update


async def test_the_wait_ends_when_an_update_finishes_and_adds_no_task() -> None:
    release = asyncio.Event()

    async def handle(_update: Update) -> None:
        await release.wait()

    lanes = UpdateLanes(handle)
    since = lanes.finished
    lanes.submit(message_update(1, 10))
    waiting = asyncio.ensure_future(lanes.wait_finished(since, 30))
    await asyncio.sleep(0.01)
    # the poller's task, the lane and this test: the wait itself runs no task of its own
    assert len(asyncio.all_tasks()) == 3
    assert not waiting.done()
    release.set()
    await asyncio.wait_for(waiting, 1)
    assert lanes.finished == since + 1 and not lanes.unfinished
    assert not lanes._finish_waiters


async def test_the_wait_returns_at_once_when_an_update_finished_meanwhile() -> None:
    async def handle(_update: Update) -> None:
        return None

    lanes = UpdateLanes(handle)
    since = lanes.finished
    await lanes.submit(message_update(1, 10))
    began = time.monotonic()
    await lanes.wait_finished(since, 30)
    assert time.monotonic() - began < 0.5


async def test_the_wait_ends_at_the_timeout_and_a_cancelled_wait_leaves_nothing_behind() -> None:
    release = asyncio.Event()

    async def handle(_update: Update) -> None:
        await release.wait()

    lanes = UpdateLanes(handle)
    lanes.submit(message_update(1, 10))
    began = time.monotonic()
    await lanes.wait_finished(lanes.finished, 0.05)
    assert 0.04 <= time.monotonic() - began < 1
    assert not lanes._finish_waiters
    cancelled = asyncio.ensure_future(lanes.wait_finished(lanes.finished, 30))
    await asyncio.sleep(0.01)
    cancelled.cancel()
    await asyncio.gather(cancelled, return_exceptions=True)
    assert not lanes._finish_waiters
    release.set()
    await lanes.drain(1)


async def test_an_update_that_ended_is_not_kept_in_aiogram_s_type_cache() -> None:
    """aiogram caches ``Update.event_type`` for the last 128 updates; evicting the oldest freed its
    object tree on the next update's path. The lanes empty that cache as each update ends."""
    cache_info = vars(Update)["event_type"].fget.cache_info
    seen: list[str] = []

    async def handle(update: Update) -> None:
        seen.append(update.event_type)

    lanes = UpdateLanes(handle)
    for update_id in (1, 2, 3):
        await lanes.submit(message_update(update_id, 10 + update_id))
    assert seen == ["message"] * 3
    assert cache_info().currsize == 0
