"""Notification failures (SPEC §8.2, scenario 62): stored with the full payload, retried, given up, or the
user marked unreachable; 429 honoured without a failure row (scenario 63)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from sigmatrade import clock
from sigmatrade.db.models import Admin, FailedNotification, User
from sigmatrade.domain.enums import ContentKind, NotificationStatus
from sigmatrade.jobs.scheduler import Scheduler
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services.notifications import Content, NotifyResult, notifier
from tests.factories import make_user


async def _rows(h: Harness) -> list[FailedNotification]:
    async with h.rt.db.session() as session:
        return list((await session.scalars(select(FailedNotification).order_by(FailedNotification.id))).all())


async def test_failed_photo_is_retried_as_a_photo(harness: Harness) -> None:
    client = harness.user(8001, "Pic", language_code="en")
    await client.send("/start")
    photo = client.emu._store_file("photo", 1000)
    harness.emulator.fail_next("sendPhoto", status=500, description="Internal Server Error")
    result = await notifier(harness.rt).send(
        8001, Content("<b>caption</b>", ContentKind.PHOTO, photo.file_id), category="test_photo"
    )
    assert result == NotifyResult.QUEUED
    [row] = await _rows(harness)
    assert row.status == NotificationStatus.PENDING and row.payload["file_id"] == photo.file_id
    scheduler = Scheduler(harness.rt)
    await scheduler.run_now("notification_retry")
    assert [r.status for r in await _rows(harness)] == [NotificationStatus.PENDING]  # not due yet
    clock.travel(timedelta(seconds=61))
    await scheduler.run_now("notification_retry")
    [row] = await _rows(harness)
    assert row.status == NotificationStatus.SENT and row.attempt_count == 1
    sent = [m for m in client.messages() if m.media_kind == "photo"]
    assert sent and sent[-1].caption == "caption" and sent[-1].file is not None
    assert sent[-1].file.file_id == photo.file_id


async def test_five_failed_retries_give_up_with_one_alert(harness: Harness) -> None:
    admin_client = harness.user(8100, "Admin", language_code="en")
    admin_client.user.started = True
    async with harness.rt.db.transaction() as session:
        session.add(Admin(telegram_id=8100, role="super_admin", created_via="cli"))
    client = harness.user(8002, "Down", language_code="en")
    await client.send("/start")
    harness.emulator.fail_next(
        "sendMessage", status=500, description="Internal Server Error", count=6, chat_id=8002
    )
    await notifier(harness.rt).send(8002, Content("hello"), category="test_text")
    scheduler = Scheduler(harness.rt)
    for delay in (60, 300, 900, 3600, 7200):
        clock.travel(timedelta(seconds=delay + 1))
        await scheduler.run_now("notification_retry")
    [row] = await _rows(harness)
    assert row.status == NotificationStatus.GAVE_UP and row.attempt_count == 5
    alerts = [m for m in admin_client.messages() if "test_text" in m.body]  # admin without a users row: ru
    assert len(alerts) == 1 and "test_text" in alerts[0].body


async def test_blocked_user_becomes_unreachable_and_is_skipped(harness: Harness) -> None:
    async with harness.rt.db.transaction() as session:
        await make_user(session, telegram_id=8003)
    client = harness.user(8003, "Blocker", language_code="en")
    client.user.started = True
    client.block_bot()
    assert await notifier(harness.rt).send(8003, Content("x"), category="t") == NotifyResult.UNREACHABLE
    assert await notifier(harness.rt).send(8003, Content("y"), category="t") == NotifyResult.UNREACHABLE
    async with harness.rt.db.session() as session:
        user = await session.scalar(select(User).where(User.telegram_id == 8003))
        assert user is not None and user.is_unreachable
    calls_before = len(harness.emulator.calls("sendMessage"))
    assert len(harness.emulator.calls("sendMessage")) == calls_before
    assert all(r.status == NotificationStatus.UNREACHABLE for r in await _rows(harness))
    await client.send("/start")  # any update clears the flag
    async with harness.rt.db.session() as session:
        user = await session.scalar(select(User).where(User.telegram_id == 8003))
        assert user is not None and not user.is_unreachable
    assert await notifier(harness.rt).send(8003, Content("z"), category="t") == NotifyResult.SENT


async def test_429_is_waited_out_without_failure_rows(harness: Harness) -> None:
    client = harness.user(8004, "Rate", language_code="en")
    await client.send("/start")
    harness.emulator.fail_next(
        "sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1, chat_id=8004
    )
    assert (
        await notifier(harness.rt).send(8004, Content("after the pause"), category="t") == NotifyResult.SENT
    )
    assert await _rows(harness) == []
    assert client.last_message.body == "after the pause"
