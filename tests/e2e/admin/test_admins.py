"""The super admins' Admins screen through the real bot (SPEC §5.8 "Admins", §5.7.4)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from sigmatrade import clock
from sigmatrade.bot.callbacks import Adm
from sigmatrade.db.models import Admin, AdminSession, AuditLog
from sigmatrade.domain.enums import AdminRole, SessionRevokeReason
from sigmatrade.sandbox.harness import Harness
from tests.e2e.admin.helpers import admin_client, login, press, row_counts

KEY = re.compile(r"[A-Z2-9]{4}(?:-[A-Z2-9]{4}){3}")


async def _admin(h: Harness, telegram_id: int) -> Admin:
    async with h.rt.db.session() as session:
        row = await session.scalar(select(Admin).where(Admin.telegram_id == telegram_id))
        assert row is not None
        return row


async def test_add_admin_key_shown_once_then_deleted_and_it_logs_in(harness: Harness) -> None:
    boss = await admin_client(harness, 6001)
    panel = await boss.send("/admin")
    assert "👮 Admins" in panel.buttons()
    ex = await boss.press("👮 Admins")
    assert "Admins</b>" in ex.last.source_html and "6001" in ex.text
    await boss.press("➕ Add admin")
    ex = await boss.send("not a number")
    assert "positive number" in ex.text
    ex = await boss.send("6002")
    assert "Role for 6002" in ex.text
    ex = await boss.press("extended admin")
    assert "added as extended admin" in ex.edited[-1].body
    key_message = ex.sent[-1]
    found = KEY.search(key_message.body)
    assert found and "deleted in 5 minutes" in key_message.body
    row = await _admin(harness, 6002)
    assert (
        row.role == AdminRole.EXTENDED_ADMIN and row.created_by_admin_id == (await _admin(harness, 6001)).id
    )
    assert row.master_key_hash is not None and found.group(0) not in row.master_key_hash
    # The key works.
    newcomer = harness.user(6002, "New", language_code="en")
    assert "Admin panel" in (await login(newcomer, found.group(0))).text
    # The key message disappears after 5 minutes.
    clock.travel(timedelta(minutes=5, seconds=1))
    await harness.emulator.wait_for_event(
        lambda e: (
            e.kind == "delete" and e.message is not None and e.message.message_id == key_message.message_id
        ),
        timeout=5,
    )
    # Adding the same id again is refused.
    await press(boss, Adm(sec="admins", act="add").pack())
    await boss.send("6002")
    ex = await boss.press("admin")
    assert ex.answer is not None and "already an admin" in ex.answer["text"]


async def test_role_reset_remove_guarded_and_audited(harness: Harness) -> None:
    boss = await admin_client(harness, 6101)
    other = await admin_client(harness, 6102, role=AdminRole.ADMIN)
    me, target = await _admin(harness, 6101), await _admin(harness, 6102)
    # Never self.
    for act in ("role", "reset", "remove"):
        ex = await press(boss, Adm(sec="admins", act=act, id=me.id).pack())
        assert ex.answer is not None and "yourself" in ex.answer["text"]
    for act in ("remove_ok", "reset_ok"):
        before = await row_counts(harness)
        ex = await press(boss, Adm(sec="admins", act=act, id=me.id).pack())
        assert ex.answer is not None and "yourself" in ex.answer["text"]
        assert await row_counts(harness) == before
    ex = await press(boss, Adm(sec="admins", act="set_role", id=me.id, arg="admin").pack())
    assert ex.answer is not None and "yourself" in ex.answer["text"]
    # Change role.
    await press(boss, Adm(sec="admins", act="view", id=target.id).pack())
    await boss.press("🎚 Change role")
    ex = await boss.press("super admin")
    assert "Role changed" in ex.text and "Role: super admin" in ex.text
    # Reset key: the other admin's session ends, the new key works.
    await boss.press("🔑 Reset key")
    ex = await boss.press("✅ Yes, issue a new key")
    found = KEY.search(ex.sent[-1].body)
    assert found and "New master key issued" in ex.edited[-1].body
    assert "master key" in (await other.send("/session")).text
    assert "Admin panel" in (await login(other, found.group(0))).text
    # Remove: sessions revoked, the panel is invisible for them now.
    await press(boss, Adm(sec="admins", act="view", id=target.id).pack())
    await boss.press("🗑 Remove")
    ex = await boss.press("✅ Yes, remove")
    assert "6102" not in ex.text
    missing = await other.send("/nosuchcommand")
    ex = await other.send("/admin")
    assert ex.text == missing.text
    async with harness.rt.db.session() as session:
        reasons = (
            await session.scalars(
                select(AdminSession.revoke_reason)
                .where(AdminSession.admin_id == target.id)
                .order_by(AdminSession.id)
            )
        ).all()
        assert list(reasons) == [SessionRevokeReason.KEY_RESET, SessionRevokeReason.REMOVED]
        audits = (
            await session.execute(
                select(AuditLog.action, AuditLog.actor_id, AuditLog.before, AuditLog.after).where(
                    AuditLog.target_type == "admin", AuditLog.actor_type == "admin"
                )
            )
        ).all()
    by_action = {a: (actor, before, after) for a, actor, before, after in audits}
    assert set(by_action) >= {"admin_role_changed", "admin_key_reset", "admin_removed"}
    assert by_action["admin_role_changed"][0] == me.id
    assert by_action["admin_role_changed"][1]["role"] == "admin"
    assert by_action["admin_role_changed"][2]["role"] == "super_admin"


async def test_demoted_admin_loses_the_screen_at_once(harness: Harness) -> None:
    boss = await admin_client(harness, 6201)
    second = await admin_client(harness, 6202)
    s1, s2 = await _admin(harness, 6201), await _admin(harness, 6202)
    ex = await press(second, Adm(sec="admins", act="set_role", id=s1.id, arg="admin").pack())
    assert "Role changed" in ex.text
    ex = await press(boss, Adm(sec="admins", act="remove_ok", id=s2.id).pack())
    assert ex.answer is not None and "Insufficient rights" in ex.answer["text"]
    assert "👮 Admins" not in (await boss.send("/admin")).buttons()
    assert (await _admin(harness, 6202)).removed_at is None


async def test_two_super_admins_removing_each_other_at_once_leave_one(harness: Harness) -> None:
    """The last super admin is guarded under row locks: a race cannot remove both."""
    import asyncio

    from sigmatrade.services.admin import admins as svc
    from sigmatrade.services.admin.admins import AdminsError
    from tests.factories import make_admin

    for _ in range(5):
        async with harness.rt.db.transaction() as session:
            a = await make_admin(session, telegram_id=6300 + 2 * _, key=None)
            b = await make_admin(session, telegram_id=6301 + 2 * _, key=None)
        async with harness.rt.db.transaction() as session:
            others = (await session.scalars(select(Admin).where(Admin.id.not_in([a.id, b.id])))).all()
            for other in others:
                other.role = AdminRole.ADMIN

        async def remove(actor: Admin, target: Admin) -> str:
            try:
                async with harness.rt.db.transaction() as session:
                    await svc.remove(session, target.telegram_id, by=actor)
            except AdminsError as err:
                return err.code
            return "ok"

        results = await asyncio.gather(remove(a, b), remove(b, a))
        assert sorted(results) in (["last_super", "ok"], ["not_allowed", "ok"]), results
        async with harness.rt.db.session() as session:
            supers = (
                await session.scalars(
                    select(Admin.id).where(Admin.role == AdminRole.SUPER_ADMIN, Admin.removed_at.is_(None))
                )
            ).all()
        assert len(supers) == 1
