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
    """Append each command's name to ``events`` when it is sent and ``ANSWERED`` when its reply is in."""
    plain = redis.execute_command

    async def traced(*args: Any, **kwargs: Any) -> Any:
        events.append(str(args[0]))
        try:
            return await plain(*args, **kwargs)
        finally:
            events.append(ANSWERED)

    redis.execute_command = traced
    try:
        yield
    finally:
        del redis.execute_command
