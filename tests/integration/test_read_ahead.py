"""The user read started before the throttle's Redis round trip (``bot/middlewares/user.read_ahead``):
the two round trips overlap, and a refused update still makes at most one read at a time per user,
shows up in the lane watchdog's chain and is waited for by shutdown. PostgreSQL + Redis only (a table
lock held by another connection stands in for a slow database)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from sigmatrade.bot.callbacks import Nav
from sigmatrade.db import hot
from sigmatrade.db.session import Database
from sigmatrade.sandbox.harness import Harness
from tests.conftest import REDIS_URL
from tests.redis_spy import ANSWERED, redis_commands, redis_of


def postgres_and_redis(db_url: str) -> None:
    if REDIS_URL is None or db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL + Redis (TEST_DATABASE_URL, TEST_REDIS_URL)")


async def lock_the_blacklist(db: Database) -> AsyncConnection:
    """Someone else's long lock on a table the user read joins: every user read waits."""
    stall = await db.engine.connect()
    await stall.execute(text("BEGIN"))
    await stall.execute(text("LOCK TABLE blacklist IN ACCESS EXCLUSIVE MODE"))
    return stall


async def release(stall: AsyncConnection) -> None:
    await stall.rollback()
    await stall.close()


@pytest.fixture
async def slow_watchdog(db_url: str) -> AsyncIterator[Harness]:
    postgres_and_redis(db_url)
    h = Harness(db_url, redis_url=REDIS_URL, update_watchdog_seconds=0.3)
    await h.start()
    yield h
    await h.stop()


async def test_with_redis_the_user_read_is_sent_during_the_throttles_round_trip(harness: Harness) -> None:
    """The user read is sent before the throttle's Redis reply is in (``user.read_ahead``): the two round
    trips overlap instead of following each other."""
    redis = redis_of(harness)
    user = harness.user(7312, "Guest", language_code="en")
    await user.send("/start")
    events: list[str] = []

    def observe(_dialect: str, _sql: str) -> None:
        events.append("db sent")

    hot.observers.append(observe)
    try:
        with redis_commands(redis, events):
            assert "Commands" in (await user.send("/help")).text
    finally:
        hot.observers.remove(observe)
    assert events[:3] == ["EVALSHA", "db sent", ANSWERED], events


async def test_a_throttled_update_drops_its_early_user_read_quietly(harness: Harness) -> None:
    """A double tap is refused by the throttle after its user read started: the read finishes, its result
    is dropped, and nothing is logged about an exception never retrieved."""
    user = harness.user(7313, "Guest", language_code="en")
    await user.send("/start")
    data = Nav(to="help").pack()
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: unhandled.append(context))
    try:
        await user.press_data(data)
        await user.press_data(data)  # within the double-tap second: answered, not handled
        await asyncio.sleep(0.1)
    finally:
        loop.set_exception_handler(previous)
    assert unhandled == []


async def test_a_muted_users_refused_updates_hold_at_most_one_pooled_connection(
    db_url: str, harness: Harness
) -> None:
    """A muted user's updates are refused by the throttle; each has started its user read. With the
    database slow, those reads must not pile up: the lane's update waits for its read, so one user holds
    at most one pooled connection however fast the updates come (found by review: all 20 were taken)."""
    postgres_and_redis(db_url)
    rt, app = harness.rt, harness.app
    assert app is not None and app.lanes is not None and app.bot is not None
    flooder = 7390
    flood = harness.user(flooder, "Flood", language_code="en")
    await flood.send("/start")
    await rt.counter.mute(f"user:{flooder}", 600)
    pool: Any = rt.db.engine.sync_engine.pool
    capacity = pool.size() + pool._max_overflow
    stall = await lock_the_blacklist(rt.db)
    try:
        for _ in range(capacity + 5):
            flood.post("/help")
        await asyncio.sleep(0.5)
        held = pool.checkedout() - 1  # minus the stalling connection
        assert held <= 1, (
            f"{held} pooled connections (of {capacity}) held by one muted user's refused updates"
        )
    finally:
        await release(stall)
    await app.lanes.drain(20)
    assert pool.checkedout() == 0


async def test_the_watchdog_follows_a_slow_update_into_its_user_read(
    slow_watchdog: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An update stuck in its early user read is logged by the lane watchdog with a chain that reaches
    the read itself (``db/hot.py``), not only the middleware awaiting it."""
    from sigmatrade.bot import lanes as lanes_module

    slow: list[dict[str, Any]] = []

    class Log:
        def warning(self, event: str, **kw: Any) -> None:
            if event == "update_slow":
                slow.append(kw)

        def __getattr__(self, name: str) -> Any:
            return lambda *a, **k: None

    monkeypatch.setattr(lanes_module, "log", Log())
    h = slow_watchdog
    app = h.app
    assert app is not None and app.lanes is not None and app.bot is not None
    slow_user = h.user(7391, "Slow", language_code="en")
    await slow_user.send("/start")
    stall = await lock_the_blacklist(h.rt.db)
    try:
        slow_user.post("/help")
        await asyncio.sleep(0.6)
    finally:
        await release(stall)
    await app.lanes.drain(10)
    assert slow, "no update_slow logged"
    chain = slow[0]["waiting_in"]
    assert "middlewares/user.py" in chain and "db/hot.py" in chain, chain


async def test_stop_waits_for_the_reads_of_refused_updates(db_url: str) -> None:
    """Shutdown lets running updates finish; a refused update's read is part of it, so no read is left
    running and no connection is left open once the application stopped (found by review: five were)."""
    postgres_and_redis(db_url)
    other = Database(db_url)
    before = await _other_connections(other)  # whatever earlier tests left open
    h = Harness(db_url, redis_url=REDIS_URL)
    await h.start()
    app = h.app
    assert app is not None and app.lanes is not None and app.bot is not None
    muted = h.user(7392, "F", language_code="en")
    await muted.send("/start")
    await h.rt.counter.mute("user:7392", 600)
    stall = await lock_the_blacklist(other)
    try:
        for _ in range(5):
            muted.post("/help")
        await asyncio.sleep(0.2)
        stopping = asyncio.ensure_future(h.stop())
        await asyncio.sleep(0.3)
    finally:
        await release(stall)
    await asyncio.wait_for(stopping, 30)
    pending = [t for t in asyncio.all_tasks() if "user_and_admin" in repr(t.get_coro())]
    await asyncio.sleep(0.2)
    after = await _other_connections(other)
    await other.dispose()
    assert pending == [] and after <= before, (len(pending), before, after)


async def _other_connections(db: Database) -> int:
    async with db.engine.connect() as conn:
        count = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        )
    return int(count or 0)
