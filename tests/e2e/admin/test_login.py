"""Admin access through the real bot (SPEC §5.7): deny by default, login, lockout, sessions, commands."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.bot.callbacks import Adm
from sigmatrade.db.models import Admin, AdminSession, AuditLog
from sigmatrade.domain.enums import AdminRole, SessionRevokeReason
from sigmatrade.sandbox.harness import Harness
from tests.e2e.admin.helpers import admin_client, alert, login, press, row_counts
from tests.factories import ADMIN_KEY, make_user

WRONG = "ZZZZ-ZZZZ-ZZZZ-ZZZZ"
PANEL = Adm(sec="panel").pack()


async def _audits(h: Harness, action: str) -> int:
    async with h.rt.db.session() as session:
        return int(await session.scalar(select(func.count()).where(AuditLog.action == action)) or 0)


async def _sessions(h: Harness) -> list[AdminSession]:
    async with h.rt.db.session() as session:
        return list((await session.scalars(select(AdminSession).order_by(AdminSession.id))).all())


async def test_non_admin_gets_exactly_what_a_missing_command_or_button_gets(harness: Harness) -> None:
    async with harness.rt.db.transaction() as session:
        await make_user(session, telegram_id=4001, language="en")
    client = harness.user(4001, "Plain", language_code="en")
    before = await row_counts(harness)
    for command in ("/admin", "/session", "/logout"):
        missing = await client.send("/nosuchcommand")
        ex = await client.send(command)
        assert (ex.text, ex.last.buttons()) == (missing.text, missing.last.buttons())
    missing = await client.press_data("nosuch:1")
    for data in (PANEL, "adm:panel", Adm(sec="users", act="card", id=1).pack()):
        ex = await client.press_data(data)
        assert alert(ex) == alert(missing) and ex.sent == [] and ex.edited == []
    # A guest (no users row) too.
    guest = harness.user(4002, "Guest", language_code="en")
    missing = await guest.send("/nosuchcommand")
    ex = await guest.send("/admin")
    assert (ex.text, ex.last.buttons()) == (missing.text, missing.last.buttons())
    assert await row_counts(harness) == before


async def test_login_opens_a_session_and_the_panel(harness: Harness) -> None:
    client = await admin_client(harness, 4101, logged_in=False)
    ex = await press(client, PANEL)  # no session: the login prompt, nothing else
    assert "Log in" in ex.answer["text"]  # type: ignore[index]
    assert "master key" in ex.text
    prompt = await client.send("/admin")
    assert "Attempts left: 3" in prompt.text
    ex = await client.send(ADMIN_KEY.lower() + "  ")  # upper-cased and trimmed
    assert [m.body for m in ex.deleted] == [ADMIN_KEY.lower() + "  "]
    assert "Admin panel" in ex.text and "super admin" in ex.text
    sessions = await _sessions(harness)
    assert len(sessions) == 1 and sessions[0].revoked_at is None
    assert await _audits(harness, "admin_login") == 1
    ex = await client.send("/session")
    assert "super admin" in ex.text and "60 min" in ex.text
    ex = await client.send("/logout")
    assert "logged out" in ex.text
    assert (await _sessions(harness))[0].revoke_reason == SessionRevokeReason.LOGOUT
    ex = await press(client, PANEL)
    assert "master key" in ex.text


async def test_one_live_session_per_admin_and_sliding_expiry(harness: Harness) -> None:
    client = await admin_client(harness, 4201)
    assert "Admin panel" in (await client.send("/admin")).text  # a live session: no second login
    for _ in range(3):  # active every 50 minutes: the session slides
        clock.travel(timedelta(minutes=50))
        assert "Time left: 60 min" in (await client.send("/session")).text
    clock.travel(timedelta(minutes=61))  # idle longer than an hour: gone
    ex = await press(client, PANEL)
    assert "master key" in ex.text
    ex = await client.send(ADMIN_KEY)
    assert "Admin panel" in ex.text
    sessions = await _sessions(harness)
    assert [s.revoke_reason for s in sessions] == [SessionRevokeReason.EXPIRED, None]
    # A session left live elsewhere (another replica's race) is revoked by the next login.
    async with harness.rt.db.transaction() as session:
        now = clock.now()
        session.add(AdminSession(admin_id=sessions[0].admin_id, last_activity_at=now, expires_at=now))
    await client.send("/logout")
    await login(client)
    reasons = [s.revoke_reason for s in await _sessions(harness)]
    assert reasons[-1] is None and reasons.count(None) == 1


async def test_three_wrong_keys_lock_for_15_minutes_and_alert_super_admins_once(harness: Harness) -> None:
    boss = await admin_client(harness, 4301, username="boss")
    boss_seen = len(boss.messages())
    client = await admin_client(harness, 4302, role=AdminRole.ADMIN, logged_in=False)
    await client.send("/admin")
    ex = await client.send("not a key")  # not shaped like a key: refused, not counted
    assert "not a master key" in ex.text and "Attempts left: 3" in ex.text
    assert "Attempts left: 2" in (await client.send(WRONG)).text
    assert "Attempts left: 1" in (await client.send(WRONG)).text
    ex = await client.send(WRONG)
    assert "locked" in ex.text and "15 min" in ex.text
    alert = await boss.wait_message("4302")
    assert "4302" in alert.body
    # During the lockout the correct key is refused and nothing is counted or alerted again.
    ex = await client.send("/admin")
    assert "locked" in ex.text
    ex = await client.send(ADMIN_KEY)  # not in the login state any more: not taken as a key
    assert "Admin panel" not in ex.all_text
    clock.travel(timedelta(minutes=5))
    ex = await client.send("/admin")
    assert "locked" in ex.text and "10 min" in ex.text
    assert await _audits(harness, "admin_locked") == 1
    alerts = [m for m in boss.messages()[boss_seen:] if "4302" in m.body]
    assert len(alerts) == 1
    async with harness.rt.db.session() as session:
        row = await session.scalar(select(Admin).where(Admin.telegram_id == 4302))
        assert row is not None and row.locked_until is not None
    assert not [s for s in await _sessions(harness) if s.admin_id == row.id]
    clock.travel(timedelta(minutes=11))
    ex = await login(client)
    assert "Admin panel" in ex.text


async def test_correct_key_during_lockout_is_refused(harness: Harness) -> None:
    client = await admin_client(harness, 4401, logged_in=False)
    await client.send("/admin")
    for _ in range(2):
        await client.send(WRONG)
    # The third wrong key locks; the prompt state is left. Re-entering it during the lock is refused.
    await client.send(WRONG)
    async with harness.rt.db.transaction() as session:
        row = await session.scalar(select(Admin).where(Admin.telegram_id == 4401))
        assert row is not None
    from aiogram.fsm.context import FSMContext

    from sigmatrade.bot.states import AdminLogin

    app = harness.app
    assert app is not None and app.dp is not None and app.bot is not None
    ctx: FSMContext = app.dp.fsm.get_context(app.bot, 4401, 4401)
    await ctx.set_state(AdminLogin.key)  # as if a prompt were still open
    ex = await client.send(ADMIN_KEY)
    assert "locked" in ex.text and ex.deleted
    assert await _sessions(harness) == []


async def test_admin_without_key_is_told_to_ask(harness: Harness) -> None:
    client = await admin_client(harness, 4501, key="", logged_in=False)
    ex = await client.send("/admin")
    assert "no master key" in ex.text


async def test_admin_commands_only_in_admin_chats(harness: Harness) -> None:
    await admin_client(harness, 4601)
    commands = harness.emulator.commands
    public = [c["command"] for key, cmds in commands.items() if "'default'" in key for c in cmds]
    assert public and "admin" not in public
    mine = [c["command"] for key, cmds in commands.items() if "'chat_id': 4601" in key for c in cmds]
    assert {"admin", "logout", "session", "start"} <= set(mine)


async def test_admins_added_elsewhere_get_their_commands_at_start_and_removed_ones_lose_them(
    harness: Harness,
) -> None:
    from sigmatrade.bot.commands import sync_admin_commands
    from tests.factories import make_admin

    async with harness.rt.db.transaction() as session:
        await make_admin(session, telegram_id=4701)
        gone = await make_admin(session, telegram_id=4702)
        gone.removed_at = clock.now()
    app = harness.app
    assert app is not None and app.bot is not None
    await sync_admin_commands(app.bot, harness.rt)
    keys = [key for key in harness.emulator.commands if "'chat_id': 4701" in key]
    assert keys and all("admin" in [c["command"] for c in harness.emulator.commands[key]] for key in keys)
    deleted = [c.params for c in harness.emulator.calls("deleteMyCommands")]
    assert any("4702" in str(p.get("scope")) for p in deleted)
    assert not any("4701" in str(p.get("scope")) for p in deleted)


async def test_admin_screens_speak_the_admins_language(harness: Harness) -> None:
    ru = await admin_client(harness, 4801, language_code="ru", logged_in=False)
    assert "мастер-ключ" in (await ru.send("/admin")).text
    ex = await ru.send(ADMIN_KEY)
    assert "Админ-панель" in ex.text and "👥 Пользователи" in ex.buttons()
    async with harness.rt.db.transaction() as session:
        await make_user(session, telegram_id=4802, language="en")
    en = await admin_client(harness, 4802, language_code="ru")  # the chosen language wins
    assert "Admin panel" in (await en.send("/admin")).text


async def test_a_master_key_hashed_with_older_parameters_is_rehashed_at_login(harness: Harness) -> None:
    """Like the finpass: a hash made with weaker argon2 parameters is replaced by one with the
    current parameters on the next successful login; the key keeps working."""
    from argon2 import PasswordHasher

    from sigmatrade.services import crypto

    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(ADMIN_KEY)
    client = await admin_client(harness, 4601, logged_in=False)
    async with harness.rt.db.transaction() as session:
        row = await session.scalar(select(Admin).where(Admin.telegram_id == 4601))
        assert row is not None
        row.master_key_hash = weak
    assert crypto.needs_rehash(weak)
    ex = await login(client)
    assert "Admin panel" in ex.text
    async with harness.rt.db.session() as session:
        stored = await session.scalar(select(Admin.master_key_hash).where(Admin.telegram_id == 4601))
    assert stored is not None and stored != weak and not crypto.needs_rehash(stored)
    assert crypto.verify_secret(stored, ADMIN_KEY)
    await client.send("/logout")
    assert "Admin panel" in (await login(client)).text
