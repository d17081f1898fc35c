"""Many registrations through the bot at once finish (nothing stuck, nothing refused, every user
created); the timings are the benchmark's business (``make bench-register``)."""

from __future__ import annotations

from sqlalchemy import func, select

from sigmatrade.db.models import User
from sigmatrade.ledger.check import run_check
from sigmatrade.sandbox.harness import Harness
from sigmatrade.sandbox.load import register_many

USERS = 24
PARALLEL = 12


async def test_parallel_registrations_all_complete(harness: Harness) -> None:
    run = await register_many(harness, USERS, PARALLEL, timeout=60)
    assert run.failed == []
    assert all(len(samples) == USERS for samples in run.steps.values())
    async with harness.rt.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == USERS
        report = await run_check(session)
    assert report.ok, report.render()
