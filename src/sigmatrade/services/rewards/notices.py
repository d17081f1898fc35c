"""Messages of a calculator run (SPEC §3.6.7, §8.1), sent after commit.

* Cycle completed: always, once — the deposit moved ``confirmed`` → ``completed`` in exactly one
  committed batch, and that batch reports it as soon as it committed (a later batch that fails, or a
  run cancelled at shutdown, no longer takes the message with it). A crash between the commit and the
  send still loses it: notifications have no outbox (docs/decisions.md).
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
USER_CHUNK = 5000


async def notify_completions(rt: Runtime, completions: list[Completion]) -> None:
    """Cycle completed, for the deposits one committed batch completed (sent batch by batch)."""
    users = await _users(rt, {c.user_id for c in completions})
    for completion in completions:
        user = users.get(completion.user_id)
        if user is not None:
            await _safely(CAT_COMPLETED, _completed(rt, user, completion))


async def notify_summaries(rt: Runtime, result: RunResult) -> None:
    """The opt-in accrual summaries of a whole run (one message per user)."""
    users = await _users(rt, set(result.per_user))
    for user_id, lines in sorted(result.per_user.items()):
        user = users.get(user_id)
        if user is not None and user.accrual_notifications:
            await _safely(CAT_SUMMARY, _summary(rt, user, lines))


async def _users(rt: Runtime, user_ids: set[int]) -> dict[int, User]:
    """The users, read ``USER_CHUNK`` ids per statement (PostgreSQL takes at most 32,767 parameters)."""
    ids = sorted(user_ids)
    users: dict[int, User] = {}
    async with rt.db.session() as session:
        for start in range(0, len(ids), USER_CHUNK):
            chunk = ids[start : start + USER_CHUNK]
            users.update(
                (u.id, u) for u in (await session.scalars(select(User).where(User.id.in_(chunk)))).all()
            )
        await session.commit()
    return users


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
