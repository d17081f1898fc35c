"""The in-process rate counters (no Redis): expired keys are swept, and sweeping changes no verdict."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sigmatrade.services.ratelimit import MemoryCounter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_day_of_distinct_users_and_taps_does_not_stay_in_memory() -> None:
    clock = FakeClock()
    counter = MemoryCounter(clock)

    async def day() -> None:
        for user in range(5_000):
            await counter.hit(f"updates:{user}", 30, 60)
            await counter.once(f"tap:{user}:nav:menu", 1.0)
            if user % 50 == 0:
                await counter.mute(f"user:{user}", 300)
            clock.now += 17.28  # 5,000 users over a day
        assert len(counter) < 40  # the last few minutes' users, not the day's 10,000+ keys

    asyncio.run(day())


def test_a_daily_limit_does_not_keep_the_minute_counters_for_a_day() -> None:
    clock = FakeClock()
    counter = MemoryCounter(clock)

    async def run() -> None:
        await counter.hit("action:support_ticket:1", 5, 86_400)
        for user in range(10_000):
            await counter.hit(f"updates:{user}", 30, 60)
        clock.now += 600
        await counter.hit("updates:0", 30, 60)
        assert len(counter) == 2  # the daily key and the one just used

    asyncio.run(run())


WINDOWS = (1.0, 5.0, 60.0, 300.0)
OPS = st.lists(
    st.tuples(
        st.sampled_from(["hit", "peek", "mute", "muted_for", "once"]),
        st.integers(min_value=0, max_value=7),  # key; a key keeps one window, as in the service
        st.sampled_from(WINDOWS),  # seconds of a mute or once-mark
        st.floats(min_value=0, max_value=200, allow_nan=False),  # time passing before the op
    ),
    max_size=120,
)


@settings(max_examples=200, deadline=None)
@given(ops=OPS)
def test_sweeping_never_changes_a_verdict(ops: list[tuple[str, int, float, float]]) -> None:
    clock = FakeClock()
    swept = MemoryCounter(clock)
    swept.SWEEP_SECONDS = 0.0  # sweep before every operation
    kept = MemoryCounter(clock)
    kept.SWEEP_SECONDS = float("inf")  # never sweep: the reference

    async def run() -> None:
        for op, key_no, span, wait in ops:
            clock.now += wait
            key = f"k{key_no}"
            results: list[Any] = []
            for counter in (swept, kept):
                window = WINDOWS[key_no % len(WINDOWS)]
                if op == "hit":
                    results.append(await counter.hit(key, 3, window))
                elif op == "peek":
                    results.append(await counter.peek(key, 3, window))
                elif op == "mute":
                    results.append(await counter.mute(key, span))
                elif op == "muted_for":
                    results.append(await counter.muted_for(key))
                else:
                    results.append(await counter.once(key, span))
            assert results[0] == results[1], (op, key, span)

    asyncio.run(run())
