"""``Poller``: stopping ends a long poll at once without losing its answer, and a cancel from outside
(the application's shutdown) still ends the poller. A scripted bot stands in for the Bot API: these are
orderings of asyncio events (an answer that arrived just before the stop or the cancel) that a real
server cannot be made to hit on demand."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiogram.methods import GetUpdates
from aiogram.types import Update

from sigmatrade.bot.lanes import UpdateLanes
from sigmatrade.bot.polling import Poller
from tests.updates import message_update


class ScriptedBot:
    def __init__(self, answer: Callable[[GetUpdates], Awaitable[list[Update]]]) -> None:
        self.answer = answer
        self.calls = 0
        self.called = asyncio.Event()

    async def __call__(self, request: GetUpdates, request_timeout: int | None = None) -> Any:
        self.calls += 1
        self.called.set()
        return await self.answer(request)


def _poller(bot: ScriptedBot) -> tuple[Poller, list[int]]:
    handled: list[int] = []

    async def handle(update: Update) -> None:
        handled.append(update.update_id)

    poller = Poller(None, bot, None, timeout=10, lanes=UpdateLanes(handle))  # type: ignore[arg-type]

    async def hold_lease() -> bool:
        poller.has_lease = False  # nothing to confirm or release at shutdown (no database here)
        return True

    poller._hold_lease = hold_lease  # type: ignore[method-assign]
    return poller, handled


async def _hang(_request: GetUpdates) -> list[Update]:
    await asyncio.sleep(3600)
    return []


async def test_a_stop_during_the_long_poll_ends_the_poller_cleanly() -> None:
    bot = ScriptedBot(_hang)
    poller, _ = _poller(bot)
    task = asyncio.create_task(poller.run())
    await bot.called.wait()
    poller.stop()
    await asyncio.wait_for(task, 2)  # no CancelledError out of the poller
    assert poller._fetch is None and bot.calls == 1


async def test_an_answer_that_arrived_before_the_stop_is_handled() -> None:
    poller, handled = _poller(ScriptedBot(_hang))

    async def answer(_request: GetUpdates) -> list[Update]:
        asyncio.get_running_loop().call_soon(poller.stop)  # after the call ends, before the poller resumes
        return [message_update(7, 5), message_update(8, 5)]

    poller.bot = ScriptedBot(answer)  # type: ignore[assignment]
    await asyncio.wait_for(poller.run(), 2)
    assert handled == [7, 8]
    assert poller.confirmable_offset() == 9


@pytest.mark.parametrize("also_stopped", [False, True])
async def test_a_cancel_from_outside_ends_the_poller_even_when_it_was_also_stopped(
    also_stopped: bool,
) -> None:
    bot = ScriptedBot(_hang)
    poller, _ = _poller(bot)
    task = asyncio.create_task(poller.run())
    await bot.called.wait()
    if also_stopped:
        poller.stop()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)
    assert task.cancelled()


async def test_a_cancel_from_outside_after_the_answer_confirms_nothing() -> None:
    poller, handled = _poller(ScriptedBot(_hang))
    tasks: list[asyncio.Task[None]] = []

    async def answer(_request: GetUpdates) -> list[Update]:
        asyncio.get_running_loop().call_soon(tasks[0].cancel)
        return [message_update(7, 5)]

    poller.bot = ScriptedBot(answer)  # type: ignore[assignment]
    tasks.append(asyncio.create_task(poller.run()))
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(tasks[0], 2)
    assert handled == [] and poller.confirmable_offset() is None  # replayed by the next poller
