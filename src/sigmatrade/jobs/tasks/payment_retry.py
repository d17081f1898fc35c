"""payment_retry (SPEC §7, §4.6.8): attempts the approved payouts whose PaymentRetry is due
(backoff from ``payment_retry.delays_minutes``); the failure after the last delay moves the payout to
the DLQ with an admin alert. Recovery and tracking run first, as in every sender run."""

from __future__ import annotations

from sigmatrade.chain.payout_sender import sender_for
from sigmatrade.chain.runtime import active_chain
from sigmatrade.jobs.scheduler import JobContext

NAME = "payment_retry"
MONEY_CRITICAL = True


async def run(ctx: JobContext) -> None:
    chain = active_chain(ctx.rt)
    if chain is None:
        ctx.details["skipped"] = "chain disabled"
        return
    report = await sender_for(ctx.rt, chain).run(retries_only=True)
    ctx.details.update(
        sent=len(report.sent),
        failed=len(report.failed),
        dead_lettered=len(report.dead_lettered),
        stuck=len(report.stuck),
        replaced=len(report.replaced),
        errors=len(report.errors),
        skipped=report.skipped,
    )
