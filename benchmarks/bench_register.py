"""1,000 registrations through the real bot in parallel batches (issue: freezes under registration load).

Each registration is /start → Register → wallet; a step's latency runs from the update being pushed
to the bot's answer in that chat. Target: no step waits more than 2 s on the embedded default (SQLite).

    make bench-register                          # SQLite, 1,000 users, 5 at a time
    BENCH_USERS=200 BENCH_PARALLEL=50 make bench-register
    BENCH_DATABASE_URL=postgresql+asyncpg://... make bench-register
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from sigmatrade.logging import setup_logging
from sigmatrade.sandbox.harness import Harness
from sigmatrade.sandbox.load import register_many


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _line(name: str, samples: list[float]) -> str:
    if not samples:
        return f"  {name:<9} no samples"
    return (
        f"  {name:<9} n={len(samples):<5} p50={_pct(samples, 0.50) * 1000:7.1f} ms  p90={_pct(samples, 0.90) * 1000:7.1f} ms"
        f"  p99={_pct(samples, 0.99) * 1000:7.1f} ms  max={max(samples) * 1000:7.1f} ms"
    )


async def main() -> int:
    count = int(os.environ.get("BENCH_USERS", "1000"))
    parallel = int(os.environ.get("BENCH_PARALLEL", "5"))
    setup_logging("WARNING", "console", None)
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        async with Harness(url, redis_url=os.environ.get("BENCH_REDIS_URL") or None) as h:
            run = await register_many(h, count, parallel)
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    every = run.all
    print(f"{count} registrations through the bot, {parallel} at a time, {backend}: {run.seconds:.1f} s")
    for name, samples in run.steps.items():
        print(_line(name, samples))
    print(_line("all steps", every))
    over = sum(1 for x in every if x > 2.0)
    print(f"  steps over 2 s: {over}; failed registrations: {len(run.failed)}")
    for failure in run.failed[:10]:
        print(f"    {failure}")
    return 0 if not run.failed else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
