"""The throttle's connection (services/ratelimit.py, ``RedisCounter``): every update's ``admit`` goes to
one connection held out of the client's pool, and a busy, lost, cancelled or script-less call never
costs an update a wrong verdict."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from sigmatrade.db import session as db_session
from sigmatrade.services.ratelimit import Check, RedisCounter, admit
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="Redis only (TEST_REDIS_URL)")


@pytest.fixture
async def counted() -> AsyncIterator[tuple[RedisCounter, Any, list[int]]]:
    """A counter on its own client, and the number of check-outs from that client's pool."""
    from redis.asyncio import Redis

    assert REDIS_URL is not None
    redis = Redis.from_url(REDIS_URL)
    counter = RedisCounter(redis, prefix=f"sigmatrade:test:{uuid.uuid4().hex[:8]}:")
    checkouts: list[int] = []
    pool = redis.connection_pool
    plain = pool.get_connection

    async def get_connection(*args: Any, **kwargs: Any) -> Any:
        checkouts.append(1)
        return await plain(*args, **kwargs)

    pool.get_connection = get_connection
    try:
        yield counter, redis, checkouts
    finally:
        await counter.reset()
        await redis.aclose()


def _check(tap: str | None, user: int = 1) -> Check:
    return Check(
        tap_key=tap,
        tap_seconds=1.0,
        mute_key=f"user:{user}",
        hits_key=f"updates:{user}",
        limit=100,
        window=60,
    )


async def test_admit_uses_one_held_connection(counted: Any) -> None:
    counter, _, checkouts = counted
    assert await admit(counter, _check("tap:a"), ("fsm:none",)) == ("ok", [None])
    assert len(checkouts) == 1
    for n in range(5):
        assert (await admit(counter, _check(f"tap:{n}")))[0] == "ok"
    assert (await admit(counter, _check("tap:a")))[0] == "double_tap"
    assert len(checkouts) == 1  # every later call on the held connection


async def test_a_call_that_finds_it_busy_goes_through_the_pool(counted: Any) -> None:
    counter, _, checkouts = counted
    outcomes = await asyncio.gather(*(admit(counter, _check(f"tap:{n}", user=n)) for n in range(4)))
    assert [o[0] for o in outcomes] == ["ok"] * 4
    assert len(checkouts) > 1  # the held one, and the pool's for the calls that found it busy
    held = len(checkouts)
    assert (await admit(counter, _check("tap:x")))[0] == "ok"
    assert len(checkouts) == held


async def test_a_script_redis_lost_is_loaded_again(counted: Any) -> None:
    """After SCRIPT FLUSH (or a Redis restart) EVALSHA answers NOSCRIPT without running: the call goes
    through the client, which loads the script; the verdict is right and counted once."""
    counter, redis, _ = counted
    assert (await admit(counter, _check("tap:1")))[0] == "ok"
    await redis.script_flush()
    assert (await admit(counter, _check("tap:2")))[0] == "ok"
    assert (await admit(counter, _check("tap:2")))[0] == "double_tap"  # the first one did run, once
    assert await redis.zcard(counter._prefix + "updates:1") == 2


async def _kill_held(counter: RedisCounter, redis: Any) -> None:
    name = f"held-{uuid.uuid4().hex[:6]}"
    await counter._held.send_command("CLIENT", "SETNAME", name)
    assert await counter._held.read_response() in (b"OK", "OK")
    clients = await redis.client_list()
    await redis.client_kill_filter(_id=next(c["id"] for c in clients if c.get("name") == name))


async def test_an_idle_connection_killed_by_the_server_costs_no_verdict(
    counted: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis restarted (or closed the connection) while the bot was quiet: the readiness check before
    the next command connects again; no update fails."""
    counter, redis, _ = counted
    assert (await admit(counter, _check("tap:1")))[0] == "ok"
    await _kill_held(counter, redis)
    monkeypatch.setitem(db_session.IDLE_PING_SECONDS, "value", 0.0)  # every use counts as after a pause
    assert (await admit(counter, _check("tap:2")))[0] == "ok"
    assert (await admit(counter, _check("tap:3")))[0] == "ok"
    assert await redis.zcard(counter._prefix + "updates:1") == 3


async def test_a_connection_killed_while_in_use_fails_one_call_then_recovers(counted: Any) -> None:
    """Killed a moment after its last use (as a pooled connection used a moment ago is not checked):
    the command goes out and its reply never comes, so that one call fails, as the client's does."""
    from redis.exceptions import ConnectionError

    counter, redis, _ = counted
    assert (await admit(counter, _check("tap:1")))[0] == "ok"
    await _kill_held(counter, redis)
    with pytest.raises(ConnectionError):
        await admit(counter, _check("tap:2"))
    assert (await admit(counter, _check("tap:3")))[0] == "ok"


async def test_a_reply_lost_after_the_script_ran_is_never_a_double_tap(
    counted: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis ran the script (the tap key is set) but the reply was lost: the call fails as the client's
    would; run again, the script would have answered this update's own first press as a double tap."""
    from redis.asyncio.connection import Connection
    from redis.exceptions import ConnectionError

    counter, _, _ = counted
    assert (await admit(counter, _check(None)))[0] == "ok"  # the script loaded, the connection held
    plain, armed = Connection.read_response, [True]

    async def lossy(self: Any, *args: Any, **kwargs: Any) -> Any:
        reply = await plain(self, *args, **kwargs)
        if armed and armed.pop():
            await self.disconnect(nowait=True)
            raise ConnectionError("Connection closed by server.")
        return reply

    monkeypatch.setattr(Connection, "read_response", lossy)
    with pytest.raises(ConnectionError):
        await admit(counter, _check("tap:1:confirm"))


async def test_a_cancelled_call_leaves_no_reply_for_the_next(counted: Any) -> None:
    """A call cancelled while Redis has not answered: its late reply must never be read as the next
    call's (the connection is dropped; the next call connects again)."""
    counter, redis, _ = counted
    assert (await admit(counter, _check("tap:1")))[0] == "ok"
    await redis.execute_command("CLIENT", "PAUSE", 300, "WRITE")  # the script writes: it waits
    try:
        call = asyncio.ensure_future(admit(counter, _check("tap:2")))
        await asyncio.sleep(0.1)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
    finally:
        await redis.execute_command("CLIENT", "UNPAUSE")
    # "tap:1" again: a double tap; a stale reply of the cancelled call would have said "ok" (3)
    assert (await admit(counter, _check("tap:1")))[0] == "double_tap"
    assert (await admit(counter, _check("tap:3")))[0] == "ok"


async def test_closing_the_client_closes_it(counted: Any) -> None:
    counter, redis, _ = counted
    assert (await admit(counter, _check("tap:1")))[0] == "ok"
    held = counter._held
    assert held.is_connected
    await redis.connection_pool.disconnect()
    assert not held.is_connected
