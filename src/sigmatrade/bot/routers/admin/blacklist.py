"""Blacklist screen (SPEC §3.9.1–§3.9.2, §5.8 "Blacklist"): list, add (offers a ban when the id or
wallet is a registered user), remove (absent entry → warning)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.bot.admin_flow import AdmRoute
from sigmatrade.bot.callbacks import Adm
from sigmatrade.bot.flow import ack, leave_state
from sigmatrade.bot.states import AdminBlacklist
from sigmatrade.bot.ui import show
from sigmatrade.bot.views.admin import blacklist as views
from sigmatrade.bot.views.admin.panel import PanelButton
from sigmatrade.db.models import Admin
from sigmatrade.domain.enums import AdminRole
from sigmatrade.runtime import Runtime
from sigmatrade.services.admin import blacklist as svc
from sigmatrade.services.admin.blacklist import BlacklistError
from sigmatrade.texts.i18n import Translator

ORDER = 50
ANY = {"role": AdminRole.ADMIN}
PANEL = (PanelButton(110, views.SEC, "adm.btn.blacklist", AdminRole.ADMIN),)


async def show_list(
    query: CallbackQuery,
    callback_data: Adm,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    t: Translator,
) -> None:
    await leave_state(state)
    await show(query, *views.listing(t, await svc.listing(session, callback_data.page or 1), rt.config.tz))
    await ack(query)


async def start(query: CallbackQuery, callback_data: Adm, state: FSMContext, t: Translator) -> None:
    adding = callback_data.act == "add"
    await state.set_state(AdminBlacklist.add if adding else AdminBlacklist.remove)
    await show(query, *views.prompt(t, "adm.bl.add_prompt" if adding else "adm.bl.remove_prompt"))
    await ack(query)


async def add_entered(
    message: Message, state: FSMContext, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    text = message.text or ""
    try:
        if text.startswith("/"):
            raise BlacklistError("empty")
        result = await svc.add(session, admin, svc.parse(text))
    except BlacklistError as err:
        await show(message, *views.error(t, err.code))
        return
    await leave_state(state)
    await show(message, *views.added(t, result.updated, result.user))


async def remove_entered(
    message: Message, state: FSMContext, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    text = message.text or ""
    try:
        if text.startswith("/"):
            raise BlacklistError("empty")
        count = await svc.remove(session, admin, svc.parse(text, with_reason=False))
    except BlacklistError as err:
        await show(message, *views.error(t, err.code))
        return
    await leave_state(state)
    await show(message, *views.removed(t, count))


def build() -> Router:
    router = Router(name="admin.blacklist")
    router.message.register(add_entered, StateFilter(AdminBlacklist.add), flags=ANY)
    router.message.register(remove_entered, StateFilter(AdminBlacklist.remove), flags=ANY)
    router.callback_query.register(show_list, AdmRoute(views.SEC, "", "list"), flags=ANY)
    router.callback_query.register(start, AdmRoute(views.SEC, "add", "remove"), flags=ANY)
    return router
