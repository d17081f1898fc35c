"""Sliding-window counters and mutes, in Redis when configured, otherwise in process memory.

Used by the throttling middleware (global per-user limit, double-tap guard) and by the
per-action limits (registration 3/h, deposit activation 10/h, …).
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any, Protocol

from sigmatrade import clock as app_clock


def _now() -> float:
    """Seconds on the application clock (moves with test time travel)."""
    return app_clock.now().timestamp()


_SPEC = re.compile(r"^(\d+)/(\d+)([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_limit(spec: str) -> tuple[int, int]:
    """'3/1h' -> (3 hits, 3600 seconds)."""
    match = _SPEC.match(spec.strip())
    if not match:
        raise ValueError(f"bad limit spec {spec!r}")
    count, size, unit = match.groups()
    return int(count), int(size) * _UNIT[unit]


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: float = 0.0


class Counter(Protocol):
    async def hit(self, key: str, limit: int, window: float) -> Verdict: ...

    async def peek(self, key: str, limit: int, window: float) -> Verdict: ...

    async def mute(self, key: str, seconds: float) -> None: ...

    async def muted_for(self, key: str) -> float: ...

    async def once(self, key: str, seconds: float) -> bool:
        """True the first time within ``seconds`` (then False until it expires)."""
        ...

    async def reset(self) -> None: ...


class MemoryCounter:
    def __init__(self, clock: Any = _now) -> None:
        self._clock = clock
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._until: dict[str, float] = {}

    def _trim(self, key: str, window: float, now: float) -> deque[float]:
        hits = self._hits[key]
        while hits and hits[0] <= now - window:
            hits.popleft()
        return hits

    async def hit(self, key: str, limit: int, window: float) -> Verdict:
        now = self._clock()
        hits = self._trim(key, window, now)
        if len(hits) >= limit:
            return Verdict(False, hits[0] + window - now)
        hits.append(now)
        return Verdict(True)

    async def peek(self, key: str, limit: int, window: float) -> Verdict:
        now = self._clock()
        hits = self._trim(key, window, now)
        if len(hits) >= limit:
            return Verdict(False, hits[0] + window - now)
        return Verdict(True)

    async def mute(self, key: str, seconds: float) -> None:
        self._until[key] = self._clock() + seconds

    async def muted_for(self, key: str) -> float:
        until = self._until.get(key)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left <= 0:
            self._until.pop(key, None)
            return 0.0
        return left

    async def once(self, key: str, seconds: float) -> bool:
        if await self.muted_for("once:" + key) > 0:
            return False
        await self.mute("once:" + key, seconds)
        return True

    async def reset(self) -> None:
        self._hits.clear()
        self._until.clear()


_ONCE = """
local expires = tonumber(redis.call('GET', KEYS[1]) or '0')
if expires > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""


class RedisCounter:
    """Same semantics over Redis (shared by all replicas). Times come from the application clock."""

    def __init__(self, redis: Any, prefix: str = "sigmatrade:rl:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._once = redis.register_script(_ONCE)

    async def _window(self, key: str, window: float) -> tuple[int, float | None]:
        now = _now()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", now - window)
            pipe.zcard(key)
            pipe.zrange(key, 0, 0, withscores=True)
            _, count, first = await pipe.execute()
        return int(count), (first[0][1] if first else None)

    async def hit(self, key: str, limit: int, window: float) -> Verdict:
        k = self._prefix + key
        now = _now()
        count, oldest = await self._window(k, window)
        if count >= limit:
            return Verdict(False, max(0.0, (oldest or now) + window - now))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(k, {f"{now}:{uuid.uuid4().hex[:8]}": now})
            pipe.expire(k, int(window) + 60)
            await pipe.execute()
        return Verdict(True)

    async def peek(self, key: str, limit: int, window: float) -> Verdict:
        now = _now()
        count, oldest = await self._window(self._prefix + key, window)
        if count >= limit:
            return Verdict(False, max(0.0, (oldest or now) + window - now))
        return Verdict(True)

    async def mute(self, key: str, seconds: float) -> None:
        await self._redis.set(
            self._prefix + "mute:" + key, str(int((_now() + seconds) * 1000)), px=int(seconds * 1000) + 60_000
        )

    async def muted_for(self, key: str) -> float:
        raw = await self._redis.get(self._prefix + "mute:" + key)
        if raw is None:
            return 0.0
        return max(0.0, int(raw) / 1000 - _now())

    async def once(self, key: str, seconds: float) -> bool:
        now = _now()
        result = await self._once(
            keys=[self._prefix + "once:" + key], args=[now, now + seconds, int(seconds * 1000) + 60_000]
        )
        return bool(result)

    async def reset(self) -> None:
        async for key in self._redis.scan_iter(match=self._prefix + "*"):
            await self._redis.delete(key)
