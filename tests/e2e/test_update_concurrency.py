"""One slow update stops nobody else (issue: head-of-line blocking in polling), the watchdog sees it,
and offsets are confirmed only for handled updates."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from sigmatrade import metrics
from sigmatrade.bot.lanes import lane_key
from sigmatrade.sandbox.harness import Harness

HELD_USER = 7300
HOLD_SECONDS = 10.0


class HoldFirst(BaseMiddleware):
    """Test hook: holds the first update of one user; records the order the held user's updates run in."""

    def __init__(self, user_id: int, seconds: float) -> None:
        self.user_id = user_id
        self.seconds = seconds
        self.held = False
        self.order: list[int] = []

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        if lane_key(event) == self.user_id:
            self.order.append(event.update_id)
            if not self.held:
                self.held = True
                await asyncio.sleep(self.seconds)
        return await handler(event, data)


def slow_count() -> float:
    return metrics.REGISTRY.get_sample_value("sigmatrade_slow_updates_total") or 0.0


async def test_a_held_update_blocks_only_its_own_user(harness: Harness) -> None:
    h = harness
    app = h.app
    assert app is not None and app.dp is not None
    hook = HoldFirst(HELD_USER, HOLD_SECONDS)
    app.dp.update.outer_middleware(hook)
    slow_before = slow_count()

    held = h.user(HELD_USER, "Held", language_code="en")
    since_held = len(h.emulator.events)
    held_updates = [held.post("/start"), held.post("/help"), held.post("/start")]
    await asyncio.sleep(0.3)  # the first one is being held now

    async def other(i: int) -> float:
        await asyncio.sleep(i * 0.1)  # 50 users over ~5 s, all while the first update is held
        user = h.user(7400 + i, "Other", language_code="en")
        since = len(h.emulator.events)
        started = time.monotonic()
        user.post("/start")
        await user.wait_reply(since, timeout=HOLD_SECONDS)
        return time.monotonic() - started

    began = time.monotonic()
    latencies = sorted(await asyncio.gather(*(other(i) for i in range(50))))
    assert time.monotonic() - began < HOLD_SECONDS - 1, "the others were answered only after the hold"
    assert hook.order == [held_updates[0].update_id]  # still held; its later updates wait behind it
    p99 = statistics.quantiles(latencies, n=100)[98]
    print(f"50 users while one update is held: p50={statistics.median(latencies):.3f}s p99={p99:.3f}s")
    # Nobody waited for the hold (10 s): every other user is answered well within half of it. This is
    # not a latency target (those live in the benchmarks): one slow moment of a busy machine (a 1.04 s
    # reply was seen once in a full run) must not fail it, a user blocked behind the hold must.
    assert latencies[-1] < HOLD_SECONDS / 2, latencies
    assert statistics.median(latencies) <= 1.0, latencies
    # Offsets: nothing at or after the held update is confirmed while it runs.
    assert not held_updates[0].processed.done()

    for pending in held_updates:
        await h.emulator.wait_processed(pending, timeout=HOLD_SECONDS + 10)
    assert hook.order == [p.update_id for p in held_updates]  # in order, each once
    replies = [e for e in h.emulator.chat_events(HELD_USER, since_held) if e.kind == "send"]
    assert len(replies) >= 3
    assert slow_count() >= slow_before + 1  # the watchdog counted the held update


async def test_an_update_handled_alone_is_fetched_once(harness: Harness) -> None:
    """While an update runs the poller does not ask again at once (Telegram would hand the same
    unconfirmed update back, to be fetched and parsed on the loop the handler runs on): it polls
    again when the update finished, confirming it. One user, one update at a time: one getUpdates
    each (two before; a handler slower than the busy re-poll interval may add one)."""
    h = harness
    user = h.user(7600, "Alone", language_code="en")
    await user.send("/start")
    rounds = 20
    before = len(h.emulator.calls("getUpdates"))
    for _ in range(rounds):
        await user.send("/help")
    polls = len(h.emulator.calls("getUpdates")) - before
    assert polls < rounds * 1.5, polls


async def test_webhook_answers_other_users_while_one_update_is_held(db_url: str) -> None:
    from sigmatrade.sandbox.chain import free_port
    from sigmatrade.sandbox.emulator import BotApiEmulator
    from tests.conftest import REDIS_URL

    emu = BotApiEmulator()
    await emu.start()
    port = free_port()
    h = Harness(
        db_url,
        http=True,
        emulator=emu,
        redis_url=REDIS_URL,
        http_port=port,
        webhook_url=f"http://127.0.0.1:{port}",
        webhook_secret="s3cret-token_for-webhook",
    )
    await h.start()
    try:
        assert h.app is not None and h.app.dp is not None
        hook = HoldFirst(HELD_USER, 3.0)
        h.app.dp.update.outer_middleware(hook)
        held = h.user(HELD_USER, "Held", language_code="en")
        first, second = held.post("/start"), held.post("/help")
        await asyncio.sleep(0.3)
        ex = await h.user(7500, "Other", language_code="en").send("/start", timeout=2.5)
        assert "Welcome" in ex.text
        assert not first.processed.done()  # no 200 before the held update was handled
        await emu.wait_processed(second, timeout=10)
        assert first.processed.done() and hook.order == [first.update_id, second.update_id]
    finally:
        await h.stop()
        await emu.stop()
