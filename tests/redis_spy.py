"""Watching the Redis commands a test's bot sends, in order, on the real client."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from sigmatrade.sandbox.harness import Harness

ANSWERED = "answered"


def redis_of(harness: Harness) -> Any:
    """The harness's Redis client; the test is skipped without Redis."""
    if harness.rt.redis is None:
        pytest.skip("Redis only (TEST_REDIS_URL)")
    return harness.rt.redis


@contextlib.contextmanager
def redis_commands(redis: Any, events: list[str]) -> Iterator[None]:
    """Append each command's name to ``events`` when it is sent and ``ANSWERED`` when its reply is in,
    on the client's connections (the pool's and the one the throttle holds: services/ratelimit.py)."""
    cls = redis.connection_pool.connection_class
    send, read = cls.send_command, cls.read_response

    async def traced_send(self: Any, *args: Any, **kwargs: Any) -> Any:
        events.append(str(args[0]))
        return await send(self, *args, **kwargs)

    async def traced_read(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await read(self, *args, **kwargs)
        finally:
            events.append(ANSWERED)

    cls.send_command, cls.read_response = traced_send, traced_read
    try:
        yield
    finally:
        cls.send_command, cls.read_response = send, read
