"""Sliding-window counters and mutes, in Redis when configured, otherwise in process memory.

Used by the throttling middleware (global per-user limit, double-tap guard) and by the
per-action limits (registration 3/h, deposit activation 10/h, …).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sigmatrade import clock as app_clock
from sigmatrade.db.session import IDLE_PING_SECONDS


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
    """The counters of one process (no Redis). Keys that nothing will read again (no hit left in the
    key's own window, a mute or once-mark that ran out) are swept at most once per ``SWEEP_SECONDS``,
    so the maps hold the recently active users and taps, not every one since start. A key keeps one
    window (its name carries the action); a key's hits outlive the longest window it was used with."""

    SWEEP_SECONDS = 60.0

    def __init__(self, clock: Any = _now) -> None:
        self._clock = clock
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._windows: dict[str, float] = {}  # each key's window (a key's hits outlive only its own)
        self._until: dict[str, float] = {}
        self._swept_at = clock()

    def __len__(self) -> int:
        """Keys held (what the sweep bounds)."""
        return len(self._hits) + len(self._until)

    def _sweep(self, now: float) -> None:
        if now - self._swept_at < self.SWEEP_SECONDS:
            return
        self._swept_at = now
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self._windows[k]]:
            del self._hits[key]
            del self._windows[key]
        for key in [k for k, until in self._until.items() if until <= now]:
            del self._until[key]

    def _trim(self, key: str, window: float, now: float) -> deque[float]:
        self._sweep(now)
        self._windows[key] = max(self._windows.get(key, 0.0), window)
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
        now = self._clock()
        self._sweep(now)
        self._until[key] = now + seconds

    async def muted_for(self, key: str) -> float:
        until = self._until.get(key)
        if until is None:
            return 0.0
        left: float = until - self._clock()
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
        self._windows.clear()
        self._until.clear()


_ONCE = """
local expires = tonumber(redis.call('GET', KEYS[1]) or '0')
if expires > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""


# A hit in one round trip, atomically: trim the window, count, and record the hit when under the limit.
# Returns 1 (recorded) or 0 (limit reached; the caller then reads the oldest hit for retry_after).
_HIT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


# The throttling middleware's three checks in one round trip, in its order: double tap (KEYS[1], only
# when ARGV[1] == '1'; the ``once`` rule), mute (KEYS[2]; the ``muted_for`` rule), then a ``hit`` on the
# sliding window (KEYS[3]). Returns 0 double tap, 1 muted, 2 limit reached (not recorded), 3 recorded;
# with further keys (KEYS[4]...: values the admitted update will read, e.g. its FSM record), an admitted
# update gets {3, value, ...} (a missing key's value is nil), read in the same round trip.
_ADMIT = """
local now = tonumber(ARGV[2])
if ARGV[1] == '1' then
  if tonumber(redis.call('GET', KEYS[1]) or '0') > now then return 0 end
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
end
local mute = redis.call('GET', KEYS[2])
if mute and tonumber(mute) / 1000 - now > 0 then return 1 end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[5])
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[6]) then return 2 end
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[7])
redis.call('EXPIRE', KEYS[3], ARGV[8])
if #KEYS > 3 then
  local out = {3}
  for i = 4, #KEYS do out[#out + 1] = redis.call('GET', KEYS[i]) end
  return out
end
return 3
"""
ADMIT_OUTCOMES = ("double_tap", "muted", "limited", "ok")


_POOL = object()  # ``_admit_held``: the client's pool serves this call


class RedisCounter:
    """Same semantics over Redis (shared by all replicas). Times come from the application clock.

    ``admit`` (every update's round trip) is sent on one connection the counter holds out of the
    client's pool, straight to the connection: the client's command path (a pool check-out with its
    readiness probe, the script wrapper, the release) cost about 0.1 ms of CPU per update. One call uses
    it at a time; a call that finds it busy goes through the pool. Unused for ``IDLE_PING_SECONDS`` (the
    rule of pooled database connections: db/session.py), it gets the pool's readiness check first (a
    Redis restart meanwhile costs no update). A call goes through the pool instead only when the script
    surely did not run: the connection failed before the command was written, or Redis answered
    NOSCRIPT (the client loads the script). A read that fails after the command went out is raised, as
    the client raises it: the script may have run, and a second run would see this update's own
    double-tap key. An error or a cancelled read disconnects it (redis-py's rule: no late reply is read
    as the next call's); the next call connects again. Closing the client closes it too."""

    def __init__(self, redis: Any, prefix: str = "sigmatrade:rl:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._once = redis.register_script(_ONCE)
        self._hit = redis.register_script(_HIT)
        self._admit = redis.register_script(_ADMIT)
        self._held: Any = None  # the connection ``admit`` uses (checked out of the client's pool)
        self._held_loop: asyncio.AbstractEventLoop | None = None
        self._held_used_at = 0.0  # on the loop's clock
        self._held_busy = False

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
        member = f"{now}:{uuid.uuid4().hex[:8]}"
        if await self._hit(keys=[k], args=[now - window, limit, now, member, int(window) + 60]):
            return Verdict(True)
        _, oldest = await self._window(k, window)
        return Verdict(False, max(0.0, (oldest or now) + window - now))

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

    async def admit(self, check: Check, reads: Sequence[str] = ()) -> tuple[str, list[Any] | None]:
        """``admit`` below in one round trip."""
        now = _now()
        keys = [
            self._prefix + "once:" + (check.tap_key or ""),
            self._prefix + "mute:" + check.mute_key,
            self._prefix + check.hits_key,
            *reads,
        ]
        args = [
            "1" if check.tap_key is not None else "0",
            now,
            now + check.tap_seconds,
            int(check.tap_seconds * 1000) + 60_000,
            now - check.window,
            check.limit,
            f"{now}:{uuid.uuid4().hex[:8]}",
            int(check.window) + 60,
        ]
        reply = await self._admit_held(keys, args)
        if reply is _POOL:
            reply = await self._admit(keys=keys, args=args)
        if isinstance(reply, list):
            return ADMIT_OUTCOMES[int(reply[0])], list(reply[1:])
        return ADMIT_OUTCOMES[int(reply)], None

    async def _admit_held(self, keys: list[str], args: list[Any]) -> Any:
        """The admit script's reply from the held connection, or ``_POOL`` (class text)."""
        from redis.exceptions import ConnectionError, NoScriptError, TimeoutError

        if self._held_busy:
            return _POOL
        self._held_busy = True
        try:
            loop = asyncio.get_running_loop()
            pool = self._redis.connection_pool
            if self._held is None or self._held_loop is not loop:
                if self._held is not None:  # another event loop's (tests): back to its pool, unused
                    await pool.release(self._held)
                    self._held = None
                self._held = await pool.get_connection()
                self._held_loop = loop
            elif loop.time() - self._held_used_at >= IDLE_PING_SECONDS["value"]:
                # Unused for a while (Redis may have restarted or closed it): the pool's readiness check,
                # which connects again if the socket is closed or has unread data. Nothing is sent yet.
                try:
                    await pool.ensure_connection(self._held)
                except (ConnectionError, TimeoutError, OSError):
                    return _POOL
            self._held_used_at = loop.time()
            try:
                await self._held.send_command("EVALSHA", self._admit.sha, len(keys), *keys, *args)
            except (ConnectionError, TimeoutError):
                return _POOL  # not sent (the write failed): the script did not run
            try:
                return await self._held.read_response()
            except NoScriptError:
                return _POOL  # Redis does not have the script (it did not run): the client loads it
            # Any other failure of the read is raised, as the client raises it (it disconnected): the
            # script may have run, and running it again would turn this update into its own double tap.
        finally:
            self._held_busy = False

    async def reset(self) -> None:
        async for key in self._redis.scan_iter(match=self._prefix + "*"):
            await self._redis.delete(key)


@dataclass(frozen=True, slots=True)
class Check:
    """The per-update throttle's three checks (``admit``)."""

    tap_key: str | None  # the double-tap guard's key (None: no guard)
    tap_seconds: float
    mute_key: str
    hits_key: str  # the sliding window
    limit: int
    window: float


async def admit(counter: Counter, check: Check, reads: Sequence[str] = ()) -> tuple[str, list[Any] | None]:
    """The per-update throttle: 'double_tap' when ``once(tap_key)`` refuses (no tap key: skipped), else
    'muted' while ``mute_key`` is muted, else 'limited' when ``hit(hits_key)`` is refused, else 'ok'
    (the hit is recorded). Each step runs only if the previous ones passed.

    With Redis, an admitted update also gets the values of the Redis keys ``reads`` (None for a missing
    key), read in the same round trip; the values are None when they were not read (another outcome, no
    ``reads``, or counters in process memory)."""
    if isinstance(counter, RedisCounter):
        return await counter.admit(check, reads)
    if check.tap_key is not None and not await counter.once(check.tap_key, check.tap_seconds):
        return "double_tap", None
    if await counter.muted_for(check.mute_key) > 0:
        return "muted", None
    if not (await counter.hit(check.hits_key, check.limit, check.window)).allowed:
        return "limited", None
    return "ok", None
