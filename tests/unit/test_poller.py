"""``Poller``: stopping ends a long poll at once without losing its answer, and a cancel from outside
(the application's shutdown) still ends the poller; a failed poll of any kind is retried, never the
poller's end; the shutdown confirms what was handled even after cancelling a slow update. A scripted bot
stands in for the Bot API: these are orderings of asyncio events (an answer that arrived just before the
stop or the cancel) and answers (a 401, a flood wait outlasting the client's retries) that a real server
cannot be made to give on demand."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import pytest
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetUpdates
from aiogram.types import Update
from pydantic import ValidationError
from structlog.testing import capture_logs

from sigmatrade import clock
from sigmatrade.bot import polling
from sigmatrade.bot.lanes import UpdateLanes
from sigmatrade.bot.polling import Poller
from tests.updates import message_update


class ScriptedBot:
    def __init__(self, answer: Callable[[GetUpdates], Awaitable[list[Update]]]) -> None:
        self.answer = answer
        self.calls = 0
        self.called = asyncio.Event()
        self.requests: list[tuple[GetUpdates, int | None]] = []

    async def __call__(self, request: GetUpdates, request_timeout: int | None = None) -> Any:
        self.calls += 1
        self.requests.append((request, request_timeout))
        self.called.set()
        return await self.answer(request)


def _poller(
    bot: ScriptedBot,
    *,
    rt: Any = None,
    leased: bool = False,
    first: Callable[[Update], Awaitable[None]] | None = None,
) -> tuple[Poller, list[int]]:
    """A poller whose lease is always held (no database here), and the ids it handled in order; each
    update first awaits ``first`` (if given). ``leased``: it confirms at shutdown (else nothing to
    confirm or release)."""
    handled: list[int] = []

    async def handle(update: Update) -> None:
        if first is not None:
            await first(update)
        handled.append(update.update_id)

    poller = Poller(rt, bot, None, timeout=10, lanes=UpdateLanes(handle))  # type: ignore[arg-type]

    async def hold_lease() -> bool:
        poller.has_lease = leased
        return True

    poller._hold_lease = hold_lease  # type: ignore[method-assign]
    return poller, handled


def _fail_then_stop(poller: Poller, *failures: Exception) -> list[GetUpdates]:
    """Script the poller's Bot API: each call raises the next of ``failures``, then one answers nothing
    and stops the poller. Returns the calls as they come."""
    calls: list[GetUpdates] = []

    async def answer(request: GetUpdates) -> list[Update]:
        calls.append(request)
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        asyncio.get_running_loop().call_soon(poller.stop)
        return []

    poller.bot = ScriptedBot(answer)  # type: ignore[assignment]
    return calls


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


async def test_a_failed_poll_of_any_kind_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    """A revoked token's 401, a flood wait that outlasted the client's own retries, a 400: the poller
    waits and polls again (it used to end on anything but a network or server error, leaving a process
    that looked alive and answered nobody)."""
    waits: list[float] = []

    async def no_sleep(_stop: asyncio.Event, seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(clock, "sleep_unless", no_sleep)
    failures: list[Exception] = [
        TelegramUnauthorizedError(GetUpdates(), "Unauthorized"),
        TelegramRetryAfter(GetUpdates(), "Too Many Requests", retry_after=7),
        TelegramBadRequest(GetUpdates(), "Bad Request"),
        TelegramNetworkError(GetUpdates(), "timeout"),
    ]
    poller, handled = _poller(ScriptedBot(_hang))

    async def answer(_request: GetUpdates) -> list[Update]:
        if failures:
            raise failures.pop(0)
        asyncio.get_running_loop().call_soon(poller.stop)
        return [message_update(7, 5)]

    poller.bot = ScriptedBot(answer)  # type: ignore[assignment]
    await asyncio.wait_for(poller.run(), 2)
    assert handled == [7]
    assert waits == [0.5, 7.0, 2.0, 4.0]  # the flood wait is waited out; the backoff goes on growing


async def test_the_shutdown_confirms_the_handled_updates_after_cancelling_a_slow_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(polling, "SHUTDOWN_GRACE", 0.05)
    slow_started = asyncio.Event()

    async def slow_8(update: Update) -> None:
        if update.update_id == 8:
            slow_started.set()
            await asyncio.sleep(3600)  # cancelled at the end of the grace

    sent = [message_update(7, 5), message_update(8, 6)]

    async def answer(request: GetUpdates) -> list[Update]:
        if request.timeout == 0 and request.limit == 1:
            return []  # the final confirmation
        if sent:
            batch = sent[:]
            sent.clear()
            return batch
        return await _hang(request)

    bot = ScriptedBot(answer)
    poller, handled = _poller(bot, leased=True, first=slow_8)
    task = asyncio.create_task(poller.run())
    await asyncio.wait_for(slow_started.wait(), 2)
    poller.stop()
    await asyncio.wait_for(task, 2)
    confirm, timeout = bot.requests[-1]
    assert handled == [7]
    assert (confirm.offset, confirm.timeout, timeout) == (8, 0, polling.CONFIRM_TIMEOUT)  # 7 done, 8 again


def _runtime(alerts: list[str], *, stuck: bool = False) -> Any:
    """A runtime whose alerts are recorded; ``stuck``: an alert never returns (a flood wait on the
    admins' messages)."""

    async def alert(error_class: str, _request_id: str | None) -> None:
        alerts.append(error_class)
        if stuck:
            await asyncio.sleep(3600)

    return SimpleNamespace(db=None, replica_id="me", on_unexpected_error=alert)


async def test_a_failed_poll_that_is_a_fault_of_ours_alerts(monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer that no longer parses, a bug: super admins hear of it; Telegram's refusals and network
    errors are only logged."""

    async def no_sleep(_stop: asyncio.Event, _seconds: float) -> None:
        pass

    monkeypatch.setattr(clock, "sleep_unless", no_sleep)
    failures: list[Exception] = [
        TypeError("bad"),
        TelegramUnauthorizedError(GetUpdates(), "Unauthorized"),
        TelegramNetworkError(GetUpdates(), "timeout"),
    ]
    alerts: list[str] = []
    poller, _ = _poller(ScriptedBot(_hang))
    poller.rt = _runtime(alerts)

    async def answer(_request: GetUpdates) -> list[Update]:
        if failures:
            raise failures.pop(0)
        asyncio.get_running_loop().call_soon(poller.stop)
        return []

    poller.bot = ScriptedBot(answer)  # type: ignore[assignment]
    await asyncio.wait_for(poller.run(), 2)
    assert alerts == ["TypeError"]


async def test_the_shutdown_keeps_the_lease_while_updates_finish_and_bounds_the_confirmation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A standby replica must not take the lease while this one's updates finish (it would poll from the
    last confirmed offset and handle them again), and a confirmation that does not come back (the
    client's own 429 retries wait on top of each attempt's timeout) ends at ``CONFIRM_TIMEOUT``."""
    monkeypatch.setattr(polling.leases, "RENEW_EVERY", 0.05)
    monkeypatch.setattr(polling, "CONFIRM_TIMEOUT", 0.1)
    renewed: list[float] = []
    released: list[str] = []

    async def acquire(_db: Any, name: str, holder: str, _ttl: float) -> bool:
        renewed.append(time.monotonic())
        return True

    async def release(_db: Any, name: str, holder: str) -> None:
        released.append(name)

    monkeypatch.setattr(polling.leases, "acquire", acquire)
    monkeypatch.setattr(polling.leases, "release", release)
    slow_started = asyncio.Event()

    async def handle(update: Update) -> None:
        slow_started.set()
        await asyncio.sleep(0.4)  # finishes within the grace

    sent = [message_update(7, 5)]

    async def answer(request: GetUpdates) -> list[Update]:
        if sent:
            batch = sent[:]
            sent.clear()
            return batch
        return await _hang(request)  # the long poll, and the final confirmation, never come back

    poller = Poller(_runtime([]), ScriptedBot(answer), None, timeout=10, lanes=UpdateLanes(handle))  # type: ignore[arg-type]
    task = asyncio.create_task(poller.run())
    await asyncio.wait_for(slow_started.wait(), 2)
    stopped = time.monotonic()
    poller.stop()
    await asyncio.wait_for(task, 2)
    ended = time.monotonic()
    assert len([at for at in renewed if at > stopped]) >= 3  # renewed every RENEW_EVERY while draining
    assert ended - stopped < 0.4 + 0.1 + 0.5  # the drain, the bounded confirmation, some slack
    assert released == [polling.LEASE_NAME] and not poller.has_lease


async def test_an_update_that_does_not_parse_is_passed_over_and_never_logged() -> None:
    """One update this version of the client cannot read used to fail every poll from its offset on:
    nobody was answered again. The others of its answer are handled; it is taken as handled and logged
    by id only (what a user typed may be a password)."""
    readable = [
        message_update(7, 5).model_dump(mode="json", by_alias=True, exclude_none=True),
        message_update(9, 6).model_dump(mode="json", by_alias=True, exclude_none=True),
    ]
    unreadable = {"update_id": 8, "message": {"message_id": "not a number", "text": "my secret 123"}}
    failure = ClientDecodeError(
        "Failed to deserialize object",
        ValueError("bad"),
        {"ok": True, "result": [readable[0], unreadable, readable[1]]},
    )
    alerts: list[str] = []
    poller, handled = _poller(ScriptedBot(_hang))
    poller.rt = _runtime(alerts)
    calls = _fail_then_stop(poller, failure)
    with capture_logs() as logs:
        await asyncio.wait_for(poller.run(), 2)
    assert sorted(handled) == [7, 9]
    assert calls[-1].offset == 10 and poller.confirmable_offset() == 10
    assert alerts == [polling.UNREADABLE]
    assert [
        (entry["event"], entry["update_id"]) for entry in logs if entry["event"] == "update_unreadable"
    ] == [("update_unreadable", 8)]
    assert "my secret" not in repr(logs) and not [entry for entry in logs if "exc_info" in entry]


async def test_an_answer_that_does_not_parse_at_all_is_retried_and_never_logged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def no_sleep(_stop: asyncio.Event, _seconds: float) -> None:
        pass

    monkeypatch.setattr(clock, "sleep_unless", no_sleep)
    garbled = {"ok": True, "result": [{"update_id": "x", "message": {"text": "my secret 123"}}]}  # no id
    try:
        Update.model_validate(garbled["result"][0])
    except ValidationError as error:
        failure = ClientDecodeError("Failed to deserialize object", error, garbled)
    poller, handled = _poller(ScriptedBot(_hang))
    calls = _fail_then_stop(poller, failure)
    with capture_logs() as logs:
        await asyncio.wait_for(poller.run(), 2)
    assert handled == [] and len(calls) == 2  # retried, nothing taken
    failed = [entry for entry in logs if entry["event"] == "polling_failed"]
    assert failed and failed[0]["kind"] == "ValidationError" and failed[0]["problems"]
    # no traceback either: the exception's text is the whole answer
    assert "my secret" not in repr(logs) and not [entry for entry in logs if "exc_info" in entry]


async def test_an_unreadable_update_waits_for_the_earlier_ones_and_is_reported_once() -> None:
    """The offset passes an unreadable update only once every earlier update has finished; the busy
    polls meanwhile bring it back each time, and it is logged and alerted once. The alert runs aside:
    its sends may wait minutes on a flood wait, and the poll must not."""
    slow = asyncio.Event()

    async def until_slow_set(_update: Update) -> None:
        await asyncio.wait_for(slow.wait(), 2)

    unreadable = {"update_id": 8, "message": {"message_id": "not a number", "text": "my secret 123"}}
    answer_7_and_8 = {
        "ok": True,
        "result": [
            message_update(7, 5).model_dump(mode="json", by_alias=True, exclude_none=True),
            unreadable,
        ],
    }
    requests: list[int | None] = []
    alerts: list[str] = []

    async def answer(request: GetUpdates) -> list[Update]:
        requests.append(request.offset)
        if request.offset in (None, 7):  # unconfirmed: Telegram sends both again
            if len(requests) == 4:
                slow.set()  # 7 finishes after a few busy polls
            raise ClientDecodeError("Failed to deserialize object", ValueError("bad"), answer_7_and_8)
        asyncio.get_running_loop().call_soon(poller.stop)
        return []

    poller, handled = _poller(ScriptedBot(answer), rt=_runtime(alerts, stuck=True), first=until_slow_set)
    with capture_logs() as logs:
        await asyncio.wait_for(poller.run(), 5)
    assert handled == [7]
    assert requests[0] is None and set(requests[1:-1]) == {7} and requests[-1] == 9
    assert [entry["update_id"] for entry in logs if entry["event"] == "update_unreadable"] == [8]
    assert alerts == [polling.UNREADABLE]
    for alert in list(polling._alerts):  # the alert that never returns: leave no task to later tests
        alert.cancel()
    await asyncio.gather(*polling._alerts, return_exceptions=True)


async def test_an_answer_whose_updates_all_parse_alone_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure that no single update is to blame for (the answer's envelope) is not 'updates passed
    over': it is retried with the backoff, and nothing is taken."""
    waits: list[float] = []

    async def no_sleep(_stop: asyncio.Event, seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(clock, "sleep_unless", no_sleep)
    envelope = {
        "ok": True,
        "result": [message_update(7, 5).model_dump(mode="json", by_alias=True, exclude_none=True)],
        "parameters": "x",
    }
    poller, handled = _poller(ScriptedBot(_hang))
    failure = ClientDecodeError("Failed to deserialize object", ValueError("bad"), envelope)
    _fail_then_stop(poller, failure, failure)
    await asyncio.wait_for(poller.run(), 2)
    assert handled == [] and waits == [0.5, 1.0]
