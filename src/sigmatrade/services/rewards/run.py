"""One calculator run: batches (each reads the rules) → notifications after commit (SPEC §3.6, §7)."""

from __future__ import annotations

from datetime import datetime

from sigmatrade import clock, metrics
from sigmatrade.domain.money import canonical
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime
from sigmatrade.services.rewards import notices
from sigmatrade.services.rewards.engine import RunResult, accrue

log = get_logger("sigmatrade.rewards")


async def run_once(rt: Runtime, *, now: datetime | None = None, only_session: int | None = None) -> RunResult:
    """Accrue everything due (for one session with ``only_session``). The rules are read in every batch
    (an admin's switch stops the next batch); each batch's completions are announced as soon as it
    commits, the opt-in summaries once the run is over."""

    async def committed(part: RunResult) -> None:
        try:
            await notices.notify_completions(rt, part.completions)
        except Exception:  # the batch is committed: a failed message never stops the run
            log.exception("reward_completion_notices_failed", completions=len(part.completions))

    result = await accrue(rt.db, None, now or clock.now(), only_session=only_session, after_batch=committed)
    for lines in result.per_user.values():
        for _, level, _ in lines:
            metrics.accruals_total.labels(level=str(level)).inc()
    if result.accruals:
        log.info(
            "rewards_accrued",
            accruals=result.accruals,
            total=canonical(result.total),
            commissions=result.commissions,
            completed=len(result.completions),
            session=only_session,
        )
    await notices.notify_summaries(rt, result)
    return result
