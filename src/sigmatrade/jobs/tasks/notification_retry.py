"""notification_retry (SPEC §8.2): resend due ``failed_notifications`` with their full payload.

Retries at the delays of ``notifications.retry_delays_seconds`` after the previous failure; the 5th
failed retry -> ``gave_up`` and one alert to admins (never for rows of category admin_alert).
"""

from __future__ import annotations

from datetime import timedelta

from aiogram.exceptions import TelegramAPIError
from sqlalchemy import select

from sigmatrade import clock
from sigmatrade.db.models import FailedNotification, User
from sigmatrade.domain.enums import NotificationStatus
from sigmatrade.jobs.scheduler import JobContext
from sigmatrade.runtime import Runtime
from sigmatrade.services.notifications import ADMIN_ALERT, Content, deliver, is_unreachable_error, notifier

NAME = "notification_retry"
BATCH = 200


async def run(ctx: JobContext) -> None:
    rt = ctx.rt
    if rt.bot is None:
        return
    delays = list(await rt.store.get("notifications.retry_delays_seconds"))
    async with rt.db.session() as session:
        due = (
            await session.scalars(
                select(FailedNotification)
                .where(
                    FailedNotification.status == NotificationStatus.PENDING,
                    FailedNotification.next_retry_at <= clock.now(),
                )
                .order_by(FailedNotification.next_retry_at, FailedNotification.id)
                .limit(BATCH)
            )
        ).all()
        await session.commit()
    for row in due:
        await _retry(ctx, row.id, delays)


async def _retry(ctx: JobContext, row_id: int, delays: list[int]) -> None:
    rt = ctx.rt
    assert rt.bot is not None
    async with rt.db.session() as session:
        row = await session.get(FailedNotification, row_id)
        if row is None or row.status != NotificationStatus.PENDING:
            return
        telegram_id, payload, category = row.telegram_id, dict(row.payload), row.category
        user = await session.scalar(select(User).where(User.telegram_id == telegram_id))
        await session.commit()
    if user is not None and user.is_unreachable:
        await _update(rt, row_id, NotificationStatus.UNREACHABLE, "user unreachable", resolved=True)
        return
    try:
        await deliver(rt.bot, telegram_id, Content.from_payload(payload))
    except (TelegramAPIError, OSError, TimeoutError) as exc:
        if isinstance(exc, TelegramAPIError) and is_unreachable_error(exc):
            await notifier(rt).mark_unreachable(telegram_id)
            await _update(rt, row_id, NotificationStatus.UNREACHABLE, str(exc), resolved=True)
            return
        gave_up = await _failed_attempt(rt, row_id, str(exc), delays)
        if gave_up and category != ADMIN_ALERT:
            error = str(exc)[:200]
            await notifier(rt).to_admins(
                lambda t: Content(
                    t("alert.notification_gave_up", category=category, recipient=telegram_id, error=error)
                )
            )
        return
    await _update(rt, row_id, NotificationStatus.SENT, None, resolved=True, count_attempt=True)


async def _failed_attempt(rt: Runtime, row_id: int, error: str, delays: list[int]) -> bool:
    async with rt.db.transaction() as session:
        row = await session.get(FailedNotification, row_id)
        if row is None:
            return False
        row.attempt_count += 1
        row.last_error = error[:1000]
        row.last_attempt_at = clock.now()
        if row.attempt_count >= len(delays):
            row.status = NotificationStatus.GAVE_UP
            row.next_retry_at = None
            row.resolved_at = clock.now()
            return True
        row.next_retry_at = clock.now() + timedelta(seconds=delays[row.attempt_count])
        return False


async def _update(
    rt: Runtime,
    row_id: int,
    status: NotificationStatus,
    error: str | None,
    *,
    resolved: bool,
    count_attempt: bool = False,
) -> None:
    async with rt.db.transaction() as session:
        row = await session.get(FailedNotification, row_id)
        if row is None:
            return
        row.status = status
        if count_attempt:
            row.attempt_count += 1
        row.last_attempt_at = clock.now()
        if error is not None:
            row.last_error = error[:1000]
        row.next_retry_at = None
        if resolved:
            row.resolved_at = clock.now()
