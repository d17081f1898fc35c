"""reward_calculator (SPEC §7, §3.6): accrue due periods of active sessions in set-based batches."""

from __future__ import annotations

from sigmatrade.domain.money import canonical
from sigmatrade.jobs.scheduler import JobContext
from sigmatrade.services.rewards.run import run_once

NAME = "reward_calculator"
MONEY_CRITICAL = True


async def run(ctx: JobContext) -> None:
    result = await run_once(ctx.rt)
    ctx.details.update(
        accruals=result.accruals,
        total=canonical(result.total),
        commissions=result.commissions,
        completed=len(result.completions),
        batches=result.batches,
    )
