"""Daily clean-up (SPEC §7 ``cleanup``, §3.10.6): retention of analytics, admin sessions, FSM states,
resolved failed notifications and finished broadcasts' delivery rows; idle answered tickets closed by
the system with the user told (after the commit).

Nothing here touches money; every purge is a plain ``DELETE`` with a time bound on indexed columns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, or_, select, update

from sigmatrade import clock
from sigmatrade.db.models import (
    AdminSession,
    Broadcast,
    BroadcastDelivery,
    FailedNotification,
    FsmState,
    SupportMessage,
    SupportTicket,
    User,
    UserAction,
)
from sigmatrade.domain.enums import ClosedBy, MessageSender, NotificationStatus, TicketStatus
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit
from sigmatrade.services.notifications import Content, notifier
from sigmatrade.texts.i18n import Translator

log = get_logger("sigmatrade.cleanup")
KEEP_DAYS = 30  # admin sessions, resolved failed notifications, finished broadcasts' deliveries
AUTO_CLOSE_NOTE = "auto-closed: no activity"


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def purge(rt: Runtime) -> dict[str, int]:
    now = clock.now()
    keep = now - timedelta(days=KEEP_DAYS)
    analytics_days = int(await rt.store.get("analytics.retention_days"))
    counts: dict[str, int] = {}
    async with rt.db.transaction() as session:
        counts["user_actions"] = _count(
            await session.execute(
                delete(UserAction).where(UserAction.created_at < now - timedelta(days=analytics_days))
            )
        )
        counts["admin_sessions"] = _count(
            await session.execute(
                delete(AdminSession).where(
                    or_(AdminSession.expires_at < keep, AdminSession.revoked_at < keep)
                )
            )
        )
        counts["fsm_states"] = _count(
            await session.execute(
                delete(FsmState).where(FsmState.updated_at < now - timedelta(hours=rt.config.fsm_ttl_hours))
            )
        )
        counts["failed_notifications"] = _count(
            await session.execute(
                delete(FailedNotification).where(
                    FailedNotification.status != NotificationStatus.PENDING,
                    FailedNotification.resolved_at < keep,
                )
            )
        )
        finished = select(Broadcast.id).where(
            or_(Broadcast.finished_at < keep, Broadcast.cancelled_at < keep),
            Broadcast.status.in_(("completed", "cancelled")),
        )
        counts["broadcast_deliveries"] = _count(
            await session.execute(
                delete(BroadcastDelivery).where(BroadcastDelivery.broadcast_id.in_(finished))
            )
        )
    return counts


def _auto_closed_note(ticket_id: int, days: int) -> Callable[[Translator], Content]:
    return lambda t: Content(t("sup.auto_closed", id=ticket_id, days=days))


async def auto_close_idle_tickets(rt: Runtime) -> list[int]:
    """Close answered tickets idle for ``support.auto_close_days`` (closed_by system); tell each user."""
    days = int(await rt.store.get("support.auto_close_days"))
    now = clock.now()
    idle_since = now - timedelta(days=days)
    async with rt.db.session() as session:
        candidates = (
            await session.scalars(
                select(SupportTicket.id).where(
                    SupportTicket.status == TicketStatus.ANSWERED, SupportTicket.updated_at < idle_since
                )
            )
        ).all()
    closed: list[tuple[int, int]] = []
    for ticket_id in candidates:
        async with rt.db.transaction() as session:
            result = await session.execute(
                update(SupportTicket)
                .where(
                    SupportTicket.id == ticket_id,
                    SupportTicket.status == TicketStatus.ANSWERED,
                    SupportTicket.updated_at < idle_since,
                )
                .values(status=TicketStatus.CLOSED, closed_at=now, closed_by=ClosedBy.SYSTEM, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if _count(result) != 1:
                continue  # the user or an admin acted meanwhile
            user_id = await session.scalar(select(SupportTicket.user_id).where(SupportTicket.id == ticket_id))
            session.add(
                SupportMessage(ticket_id=ticket_id, sender=MessageSender.SYSTEM, text=AUTO_CLOSE_NOTE)
            )
            await audit.log(
                session,
                audit.SYSTEM,
                "ticket_auto_closed",
                target_type="support_ticket",
                target_id=ticket_id,
                details={"idle_days": days},
            )
            assert user_id is not None
            closed.append((ticket_id, user_id))
    for ticket_id, user_id in closed:
        async with rt.db.session() as session:
            user = await session.get(User, user_id)
        if user is not None:
            await notifier(rt).to_user(user, _auto_closed_note(ticket_id, days), category="support_user")
    return [ticket_id for ticket_id, _ in closed]
