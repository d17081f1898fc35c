"""payment_processor (SPEC §7, §4.6, §3.7): the interval slot's automatic payouts, crash reconciliation,
tracking of sent payouts, sending approved payouts (skipping those with a waiting retry) and the
low-balance check every 10 minutes, holding the sender slot ``payout_sender:<wallet>``. Runs only
while the chain runtime is enabled."""

from __future__ import annotations

from sigmatrade.chain.payout_sender import sender_for
from sigmatrade.chain.runtime import active_chain
from sigmatrade.jobs.scheduler import JobContext
from sigmatrade.services import auto_payouts

NAME = "payment_processor"
MONEY_CRITICAL = True


async def run(ctx: JobContext) -> None:
    chain = active_chain(ctx.rt)
    if chain is None:
        ctx.details["skipped"] = "chain disabled"
        return
    auto = await auto_payouts.create_due(ctx.rt)
    if auto.created:
        ctx.details["auto_payouts"] = len(auto.created)
    report = await sender_for(ctx.rt, chain).run(monitor=True)
    ctx.details.update(
        sent=len(report.sent),
        confirmed=len(report.confirmed),
        failed=len(report.failed),
        stuck=len(report.stuck),
        replaced=len(report.replaced),
        errors=len(report.errors),
        skipped=report.skipped,
    )
