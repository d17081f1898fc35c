"""Finpass requests through the real bot (SPEC §3.8.3, §5.8): list, view, take, approve with a confirm
(the new password reaches the user once and is stored only as a hash, never queued), reject with a
comment shown escaped, and the late taps."""

from __future__ import annotations

from sqlalchemy import select

from sigmatrade.bot.callbacks import Adm
from sigmatrade.db.models import AuditLog, FailedNotification, FinpassRecovery, User
from sigmatrade.domain.enums import AdminRole, RecoveryStatus
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import crypto
from tests.desk_helpers import consistent, funded_user
from tests.e2e.admin.helpers import admin_client, press


async def _request(h: Harness, note: str | None = None) -> tuple[User, int]:
    user = await funded_user(h.rt, "10")
    h.user(user.telegram_id, "Lost", language_code="en").user.started = True
    async with h.rt.db.transaction() as session:  # what services.recovery.request leaves behind
        row = FinpassRecovery(user_id=user.id, status=RecoveryStatus.PENDING, user_note=note)
        session.add(row)
        stored = await session.get(User, user.id)
        assert stored is not None
        stored.earnings_blocked = True
        await session.flush()
        return user, row.id


async def _row(h: Harness, request_id: int) -> FinpassRecovery:
    async with h.rt.db.session() as session:
        row = await session.get(FinpassRecovery, request_id)
        assert row is not None
        return row


async def test_take_and_approve_sends_the_password_once(harness: Harness) -> None:
    user, rid = await _request(harness, "lost my <b>notes</b>")
    client = harness.user(user.telegram_id, "Lost", language_code="en")
    admin = await admin_client(harness, 5301, role=AdminRole.ADMIN)
    ex = await admin.press("🔑 Finpass requests")
    assert f"#{rid}" in ex.text and "waiting" in ex.text
    ex = await admin.press(f"#{rid}")
    assert "lost my <b>notes</b>" in ex.text  # the user's note, escaped
    ex = await admin.press("🙋 Take")
    assert (await _row(harness, rid)).status == RecoveryStatus.IN_REVIEW
    assert "Handled by: 5301" in ex.text
    ex = await admin.press("✅ Approve")
    assert "sent once" in ex.text
    ex = await admin.press("✅ Confirm")
    assert "new password was sent" in ex.text
    message = await client.wait_message("Your new financial password")
    password = message.body.split("Your new financial password: ")[1].split()[0]
    async with harness.rt.db.session() as session:
        stored = await session.get(User, user.id)
        assert stored is not None and crypto.verify_secret(stored.finpass_hash, password)
        queued = (await session.scalars(select(FailedNotification))).all()
        audit_rows = (await session.scalars(select(AuditLog))).all()
    assert all(password not in str(q.payload) for q in queued)
    assert all(password not in str(a.details) for a in audit_rows)
    assert (await _row(harness, rid)).status == RecoveryStatus.SENT
    ex = await press(admin, Adm(sec="fpr", act="okyes", id=rid).pack())  # a late second approval
    assert "no longer open" in str(ex.answer)
    assert len([m for m in client.messages() if "Your new financial password" in m.body]) == 1
    await consistent(harness.rt)


async def test_reject_with_a_comment(harness: Harness) -> None:
    user, rid = await _request(harness)
    client = harness.user(user.telegram_id, "Lost", language_code="en")
    admin = await admin_client(harness, 5302, role=AdminRole.ADMIN, language_code="ru")
    await press(admin, Adm(sec="fpr", act="view", id=rid).pack())
    ex = await admin.press("❌ Отклонить")
    assert "комментарий" in ex.text
    ex = await admin.send("call us <b>&")
    assert "отклонён" in ex.text
    note = await client.wait_message("rejected")
    assert "call us <b>&" in note.body
    assert (await _row(harness, rid)).status == RecoveryStatus.REJECTED
    ex = await press(admin, Adm(sec="fpr", act="take", id=rid).pack())
    assert "уже не открыт" in str(ex.answer)
    ex = await press(admin, Adm(sec="fpr", act="view", id=rid).pack())
    assert "отклонён" in ex.text and "Одобрить" not in str(ex.buttons())
