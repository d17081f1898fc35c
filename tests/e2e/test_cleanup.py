"""Cleanup job (SPEC §7, §3.10.6): retention purges keep everything inside the limits, idle answered
tickets are closed by the system with the user told, temp files older than a day go, and the next run
is at 03:00 UTC."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.db.models import (
    Admin,
    AdminSession,
    Broadcast,
    BroadcastDelivery,
    FailedNotification,
    FsmState,
    JobLease,
    SupportMessage,
    SupportTicket,
    UserAction,
)
from sigmatrade.domain.enums import ClosedBy, JobStatus, MessageSender, TicketStatus
from sigmatrade.jobs.scheduler import Scheduler, next_cleanup_run
from sigmatrade.ops import disk
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import audit
from tests.conftest import REDIS_URL
from tests.factories import make_user


async def _count(h: Harness, model: type, *where: object) -> int:
    async with h.rt.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_cleanup_purges_old_rows_and_closes_idle_answered_tickets(db_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    temp = disk.temp_dir(str(data_dir))
    temp.mkdir(parents=True)
    stale, fresh = temp / "stale.part", temp / "fresh.part"
    for path in (stale, fresh):
        path.write_text("x")
    old = time.time() - 2 * 86400
    os.utime(stale, (old, old))

    h = Harness(db_url, redis_url=REDIS_URL, data_dir=str(data_dir), backup_dir=str(tmp_path / "backups"))
    await h.start()
    try:
        now = clock.now()
        ago = lambda **kw: now - timedelta(**kw)  # noqa: E731
        async with h.rt.db.transaction() as session:
            idle = await make_user(session, telegram_id=9601, language="en")
            recent = await make_user(session, telegram_id=9602, language="en")
            waiting = await make_user(session, telegram_id=9603, language="en")
            admin = Admin(telegram_id=9600, role="admin", created_via="cli")
            session.add(admin)
            await session.flush()
            tickets = [
                SupportTicket(user_id=idle.id, category="tech", status="answered", updated_at=ago(days=8)),
                SupportTicket(user_id=recent.id, category="tech", status="answered", updated_at=ago(days=6)),
                SupportTicket(
                    user_id=waiting.id, category="tech", status="in_progress", updated_at=ago(days=30)
                ),
            ]
            session.add_all(tickets)
            session.add_all(
                [
                    UserAction(user_id=idle.id, action="old", created_at=ago(days=91)),
                    UserAction(user_id=idle.id, action="new", created_at=ago(days=89)),
                    AdminSession(admin_id=admin.id, last_activity_at=ago(days=40), expires_at=ago(days=31)),
                    AdminSession(
                        admin_id=admin.id,
                        last_activity_at=ago(days=40),
                        expires_at=ago(days=39),
                        revoked_at=ago(days=31),
                    ),
                    AdminSession(admin_id=admin.id, last_activity_at=ago(days=6), expires_at=ago(days=5)),
                    AdminSession(
                        admin_id=admin.id, last_activity_at=now, expires_at=now + timedelta(hours=1)
                    ),
                    FsmState(key="old", state="s", data={}, updated_at=ago(hours=25)),
                    FsmState(key="new", state="s", data={}, updated_at=ago(hours=23)),
                ]
            )
            for status, resolved_days in (("sent", 31), ("gave_up", 31), ("sent", 29), ("pending", None)):
                session.add(
                    FailedNotification(
                        telegram_id=9601,
                        kind="text",
                        category="x",
                        payload={},
                        status=status,
                        resolved_at=None if resolved_days is None else ago(days=resolved_days),
                        created_at=ago(days=60),
                    )
                )
            done = Broadcast(
                created_by_admin_id=admin.id,
                content_kind="text",
                text="hi",
                status="completed",
                finished_at=ago(days=31),
            )
            running = Broadcast(
                created_by_admin_id=admin.id, content_kind="text", text="hi", status="running"
            )
            session.add_all([done, running])
            await session.flush()
            for broadcast in (done, running):
                for user in (idle, recent):
                    session.add(
                        BroadcastDelivery(
                            broadcast_id=broadcast.id, user_id=user.id, telegram_id=user.telegram_id
                        )
                    )
        client = h.user(9601, "Idle", language_code="en")
        client.user.started = True

        started = clock.now()
        assert await Scheduler(h.rt).run_now("cleanup") == JobStatus.OK

        assert await _count(h, UserAction) == 1
        assert await _count(h, AdminSession) == 2
        assert await _count(h, FsmState) == 1
        assert await _count(h, FailedNotification) == 2
        assert await _count(h, BroadcastDelivery, BroadcastDelivery.broadcast_id == done.id) == 0
        assert await _count(h, BroadcastDelivery, BroadcastDelivery.broadcast_id == running.id) == 2
        assert not stale.exists() and fresh.exists()

        async with h.rt.db.session() as session:
            rows = {t.user_id: t for t in (await session.scalars(select(SupportTicket))).all()}
            note = await session.scalar(
                select(SupportMessage).where(SupportMessage.ticket_id == rows[idle.id].id)
            )
            lease = await session.get(JobLease, "cleanup")
            verified = await audit.verify(session)
        assert (rows[idle.id].status, rows[idle.id].closed_by) == (TicketStatus.CLOSED, ClosedBy.SYSTEM)
        assert rows[recent.id].status == TicketStatus.ANSWERED
        assert rows[waiting.id].status == TicketStatus.IN_PROGRESS
        assert note is not None and note.sender == MessageSender.SYSTEM
        assert verified.ok
        [message] = client.messages()
        assert (
            f"Ticket #{rows[idle.id].id} was closed automatically" in message.body
            and "7 days" in message.body
        )
        assert lease is not None and lease.next_run_at == next_cleanup_run(started)
        assert lease.next_run_at.hour == 3 and lease.next_run_at.minute == 0

        # A second run finds nothing more and tells nobody again.
        assert await Scheduler(h.rt).run_now("cleanup") == JobStatus.OK
        assert len(client.messages()) == 1
    finally:
        await h.stop()
