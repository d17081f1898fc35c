"""One payout sender run in its own process, for the crash tests (SPEC §12 scenarios 45, 46).

Configuration comes from the environment like the service (DATABASE_URL, BSC_RPC_URLS,
USDT_CONTRACT_ADDRESS, ENCRYPTION_KEY, CONFIRMATION_BLOCKS, …); ``SIGMATRADE_FAULT`` makes the sender
end the process at that point. Prints the run report as one JSON line. ``open_runtime`` is also
used in-process by the payout tests.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict

from sigmatrade.app import build_runtime
from sigmatrade.chain.payout_sender import PayoutSender
from sigmatrade.chain.runtime import ChainRuntime, start_chain, stop_chain
from sigmatrade.config import Config, load_config
from sigmatrade.runtime import Runtime


@asynccontextmanager
async def open_runtime(settings: Config) -> AsyncIterator[tuple[Runtime, ChainRuntime]]:
    """A jobs-only runtime (no bot: notifications are queued) with a started chain runtime."""
    rt = await build_runtime(settings)
    db, redis = rt.db, rt.redis
    try:
        chain = await start_chain(rt, timeout=5)
        assert isinstance(chain, ChainRuntime) and chain.enabled, "chain runtime not enabled"
        yield rt, chain
    finally:
        await stop_chain(rt)
        if redis is not None:
            await redis.aclose()
        await db.dispose()


async def main() -> int:
    async with open_runtime(load_config(_env_file=None)) as (rt, chain):
        report = await PayoutSender(rt, chain).run()
    print(json.dumps(asdict(report)))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
