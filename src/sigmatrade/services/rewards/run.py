"""One calculator run: settings → batches → notifications after commit (SPEC §3.6, §7)."""

from __future__ import annotations

from datetime import datetime

from sigmatrade import clock, metrics
from sigmatrade.domain.money import canonical
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime
from sigmatrade.services.rewards import notices
from sigmatrade.services.rewards.engine import RewardRules, RunResult, accrue
from sigmatrade.services.settings import SettingsStore

log = get_logger("sigmatrade.rewards")


async def load_rules(store: SettingsStore) -> RewardRules:
    values = await store.many(["reward.enabled", "referral.on_accruals", "referral.rates"])
    return RewardRules(
        enabled=bool(values["reward.enabled"]),
        on_accruals=bool(values["referral.on_accruals"]),
        referral_rates=tuple(values["referral.rates"]),
    )


async def run_once(rt: Runtime, *, now: datetime | None = None, only_session: int | None = None) -> RunResult:
    """Accrue everything due (for one session with ``only_session``), then send the messages."""
    rules = await load_rules(rt.store)
    result = await accrue(rt.db, rules, now or clock.now(), only_session=only_session)
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
    await notices.notify_run(rt, result)
    return result
