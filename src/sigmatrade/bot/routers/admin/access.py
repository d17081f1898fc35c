"""Admin login and session (SPEC §5.7.3–§5.7.4): ``/admin``, the master key, ``/session``, ``/logout``.

``/admin`` and the key input are the only ``login`` handlers (they run without a live session). The
typed key is deleted at once and never stored in FSM data.
"""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.bot.admin_flow import prompt_login
from sigmatrade.bot.commands import publish_admin_commands
from sigmatrade.bot.routers.admin import panel
from sigmatrade.bot.states import AdminLogin
from sigmatrade.bot.ui import delete_quietly, show
from sigmatrade.bot.views.admin import access as views
from sigmatrade.db.models import Admin, AdminSession
from sigmatrade.domain.enums import AdminRole
from sigmatrade.domain.timefmt import format_dt
from sigmatrade.runtime import Runtime
from sigmatrade.services.admin import access as svc
from sigmatrade.services.admin.access import LoginOutcome
from sigmatrade.services.notifications import Content, notifier
from sigmatrade.texts.i18n import Translator

ORDER = 0  # the login input state wins over everything else

LOGIN = {"role": AdminRole.ADMIN, "login": True}
ANY_ADMIN = {"role": AdminRole.ADMIN}


async def cmd_admin(
    message: Message, rt: Runtime, state: FSMContext, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    """The panel with a live session, otherwise the login prompt."""
    if await svc.live_session(session, rt.store, admin.id) is not None:
        await state.set_state(None)
        await panel.render(message, session, admin, t)
        return
    await prompt_login(message, rt=rt, state=state, session=session, admin=admin, t=t)


async def key_entered(
    message: Message, rt: Runtime, state: FSMContext, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    typed = message.text
    await delete_quietly(message)  # whatever it was, it may be a key
    if typed is None or typed.startswith("/"):
        await show(message, *views.unexpected(t))
        return
    result = await svc.login(session, rt.store, admin.id, typed)
    if result.outcome == LoginOutcome.OK:
        await state.set_state(None)
        if message.bot is not None:
            await publish_admin_commands(message.bot, admin.telegram_id)
        await panel.render(message, session, admin, t)
        return
    if result.outcome == LoginOutcome.WRONG:
        await show(message, *views.wrong(t, result.attempts_left))
        return
    if result.outcome == LoginOutcome.MALFORMED:
        await show(message, *views.malformed(t, result.attempts_left))
        return
    await state.set_state(None)
    if result.outcome == LoginOutcome.LOCKED:
        assert result.locked_until is not None
        await show(message, *views.locked(t, result.locked_until, clock.now()))
        if result.alert:
            await _alert_locked(rt, admin, result.locked_until)
    elif result.outcome == LoginOutcome.NO_KEY:
        await show(message, *views.no_key(t))
    else:
        await show(message, *views.gone(t))


async def _alert_locked(rt: Runtime, admin: Admin, until: datetime) -> None:
    """After the commit: every super admin, once per lockout (the lock is entered once)."""
    name = f"@{admin.username}" if admin.username else f"#{admin.id}"
    tz = rt.config.tz

    def build(t: Translator) -> Content:
        return Content(views.lockout_alert(t, name, admin.telegram_id, format_dt(until, t.lang, tz)))

    await notifier(rt).to_admins(build, category="admin_security", min_role=AdminRole.SUPER_ADMIN)


async def cmd_session(message: Message, admin: Admin, admin_session: AdminSession, t: Translator) -> None:
    await show(message, *views.session_info(t, admin.role, admin_session.expires_at, clock.now()))


async def cmd_logout(
    message: Message, state: FSMContext, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    await state.set_state(None)
    await svc.logout(session, admin)
    await show(message, *views.logged_out(t))


def build() -> Router:
    router = Router(name="admin.access")
    router.message.register(cmd_admin, Command("admin"), flags=LOGIN)
    router.message.register(key_entered, StateFilter(AdminLogin.key), flags=LOGIN)
    router.message.register(cmd_session, Command("session"), flags=ANY_ADMIN)
    router.message.register(cmd_logout, Command("logout"), flags=ANY_ADMIN)
    return router
