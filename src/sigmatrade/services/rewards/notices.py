"""Messages of a calculator run (SPEC §3.6.7, §8.1), sent after the batches committed.

* Cycle completed: always, once — the deposit moved ``confirmed`` → ``completed`` in exactly one
  committed batch, and only that batch reports it.
* Accrual summary: one message per user per run, only with ``accrual_notifications`` on.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from sigmatrade.db.models import User
from sigmatrade.domain.money import format_amount
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime
from sigmatrade.services.notifications import Content, notifier
from sigmatrade.services.rewards.engine import Completion, RunResult
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe

log = get_logger("sigmatrade.rewards")

CAT_SUMMARY = "accrual_summary"
CAT_COMPLETED = "cycle_completed"
MAX_LINES = 20


async def notify_run(rt: Runtime, result: RunResult) -> None:
    user_ids = {c.user_id for c in result.completions} | set(result.per_user)
    if not user_ids:
        return
    async with rt.db.session() as session:
        users = {
            u.id: u for u in (await session.scalars(select(User).where(User.id.in_(sorted(user_ids))))).all()
        }
        await session.commit()
    for completion in result.completions:
        user = users.get(completion.user_id)
        if user is not None:
            await _safely(CAT_COMPLETED, _completed(rt, user, completion))
    for user_id, lines in sorted(result.per_user.items()):
        user = users.get(user_id)
        if user is not None and user.accrual_notifications:
            await _safely(CAT_SUMMARY, _summary(rt, user, lines))


async def _safely(what: str, coro: object) -> None:
    try:
        await coro  # type: ignore[misc]
    except Exception:
        log.exception("reward_notification_failed", notification=what)


async def _completed(rt: Runtime, user: User, completion: Completion) -> None:
    def build(t: Translator) -> Content:
        return Content(
            t(
                "rewards.completed",
                level=completion.level,
                amount=format_amount(completion.amount, t.lang),
                cap=format_amount(completion.cap_amount, t.lang),
            )
        )

    await notifier(rt).to_user(user, build, category=CAT_COMPLETED)


async def _summary(rt: Runtime, user: User, lines: list[tuple[int, int, Decimal]]) -> None:
    per_deposit: dict[tuple[int, int], Decimal] = {}
    for deposit_id, level, amount in lines:
        per_deposit[(deposit_id, level)] = per_deposit.get((deposit_id, level), Decimal(0)) + amount
    total = sum(per_deposit.values(), Decimal(0))

    def build(t: Translator) -> Content:
        shown = [
            t("rewards.summary.line", deposit_id=dep, level=level, amount=format_amount(amount, t.lang))
            for (dep, level), amount in sorted(per_deposit.items())[:MAX_LINES]
        ]
        return Content(t("rewards.summary", total=format_amount(total, t.lang), lines=Safe("\n".join(shown))))

    await notifier(rt).to_user(user, build, category=CAT_SUMMARY)
