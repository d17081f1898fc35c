"""Admins screen (SPEC §5.8 "Admins", super admins only): list, add with role (the master key shown once,
that message deleted after 5 minutes), change role, reset key, remove (confirm; never self, never the
last super admin). FSM data: ``adm_new_tg`` (the Telegram id being added)."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.bot.admin_flow import AdmRoute
from sigmatrade.bot.callbacks import Adm
from sigmatrade.bot.commands import publish_admin_commands, withdraw_admin_commands
from sigmatrade.bot.ephemeral import delete_later
from sigmatrade.bot.flow import ack, leave_state, outdated
from sigmatrade.bot.states import AdminAdmins
from sigmatrade.bot.ui import show
from sigmatrade.bot.views.admin import admins as views
from sigmatrade.bot.views.admin.panel import PanelButton
from sigmatrade.db.models import Admin
from sigmatrade.db.session import unit
from sigmatrade.domain.enums import AdminRole
from sigmatrade.runtime import Runtime
from sigmatrade.services.admin import admins as svc
from sigmatrade.services.admin.admins import AdminsError
from sigmatrade.texts.i18n import Translator

ORDER = 40
SUPER = {"role": AdminRole.SUPER_ADMIN}
PANEL = (PanelButton(140, views.SEC, "adm.btn.admins", AdminRole.SUPER_ADMIN),)
KEY_MESSAGE_TTL = timedelta(minutes=5)
NEW_TG_KEY = "adm_new_tg"


def _role(raw: str) -> AdminRole | None:
    try:
        return AdminRole(raw)
    except ValueError:
        return None


async def _target(session: AsyncSession, admin_id: int) -> tuple[Admin | None, int | None]:
    target = await svc.by_id(session, admin_id)
    if target is None or target.created_by_admin_id is None:
        return target, None
    creator = await session.scalar(select(Admin.telegram_id).where(Admin.id == target.created_by_admin_id))
    await session.commit()
    return target, creator


async def show_list(
    query: CallbackQuery,
    callback_data: Adm,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    t: Translator,
) -> None:
    await leave_state(state)
    page = await svc.listing(session, callback_data.page or 1)
    await show(query, *views.listing(t, page, rt.config.tz))
    await ack(query)


async def show_view(
    query: CallbackQuery,
    callback_data: Adm,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    t: Translator,
) -> None:
    await leave_state(state)
    target, creator = await _target(session, callback_data.id)
    if target is None:
        await outdated(query, t)
        return
    await show(query, *views.view(t, target, creator, rt.config.tz))
    await ack(query)


async def _refresh_view(
    query: CallbackQuery,
    rt: Runtime,
    session: AsyncSession,
    t: Translator,
    admin_id: int,
    note_key: str,
    **v: object,
) -> None:
    target, creator = await _target(session, admin_id)
    if target is None:
        page = await svc.listing(session, 1)
        await show(query, *views.listing(t, page, rt.config.tz))
        return
    await show(query, *views.view(t, target, creator, rt.config.tz, note=t(note_key, **v)))


async def _send_key(query: CallbackQuery, t: Translator, issued: svc.Issued) -> None:
    """The key in a message of its own, deleted after 5 minutes."""
    if not isinstance(query.message, Message) or query.bot is None:
        return
    sent = await query.message.answer(
        views.key_message(t, issued.admin.telegram_id, issued.admin.role, issued.key)
    )
    delete_later(query.bot, sent.chat.id, sent.message_id, KEY_MESSAGE_TTL)


# ------------------------------------------------------------------------------------------------ add
async def add_start(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.set_state(AdminAdmins.telegram_id)
    await show(query, *views.add_prompt(t))
    await ack(query)


async def add_id_entered(message: Message, state: FSMContext, t: Translator) -> None:
    try:
        telegram_id = svc.parse_telegram_id(message.text or "")
    except AdminsError:
        await show(message, *views.add_bad_id(t))
        return
    await state.set_state(AdminAdmins.role)
    await state.update_data({NEW_TG_KEY: telegram_id})
    await show(message, *views.role_picker(t, telegram_id, "add_role"))


async def add_role_picked(
    query: CallbackQuery,
    callback_data: Adm,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    admin: Admin,
    t: Translator,
) -> None:
    telegram_id = (await state.get_data()).get(NEW_TG_KEY)
    role = _role(callback_data.arg)
    if not isinstance(telegram_id, int) or role is None:
        await outdated(query, t)
        return
    try:
        async with unit(session):
            issued = await svc.add(session, telegram_id, role, by=admin)
    except AdminsError as err:
        await ack(query, views.error(t, err.code), alert=True)
        return
    await leave_state(state)
    if query.bot is not None:
        await publish_admin_commands(query.bot, telegram_id)
    key = "adm.admins.restored" if issued.restored else "adm.admins.added"
    await _refresh_view(
        query, rt, session, t, issued.admin.id, key, tg=telegram_id, role=t.raw(f"adm.role.{role}")
    )
    await _send_key(query, t, issued)
    await ack(query)


# ----------------------------------------------------------------------------------------------- role
async def role_start(
    query: CallbackQuery, callback_data: Adm, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    target = await svc.by_id(session, callback_data.id)
    if target is None:
        await outdated(query, t)
        return
    if target.id == admin.id:
        await ack(query, views.error(t, "self"), alert=True)
        return
    await show(query, *views.role_picker(t, target.telegram_id, "set_role", target.id))
    await ack(query)


async def role_picked(
    query: CallbackQuery, callback_data: Adm, rt: Runtime, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    target = await svc.by_id(session, callback_data.id)
    role = _role(callback_data.arg)
    if target is None or role is None:
        await outdated(query, t)
        return
    try:
        async with unit(session):
            await svc.set_role(session, target.telegram_id, role, by=admin)
    except AdminsError as err:
        await ack(query, views.error(t, err.code), alert=True)
        return
    await _refresh_view(query, rt, session, t, target.id, "adm.admins.role_changed")
    await ack(query)


# -------------------------------------------------------------------------------- reset key / remove
async def confirm_start(
    query: CallbackQuery, callback_data: Adm, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    target = await svc.by_id(session, callback_data.id)
    if target is None:
        await outdated(query, t)
        return
    if target.id == admin.id:
        await ack(query, views.error(t, "self"), alert=True)
        return
    await show(query, *views.confirm(t, target, callback_data.act))
    await ack(query)


async def reset_confirmed(
    query: CallbackQuery, callback_data: Adm, rt: Runtime, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    target = await svc.by_id(session, callback_data.id)
    if target is None:
        await outdated(query, t)
        return
    try:
        async with unit(session):
            issued = await svc.reset_key(session, target.telegram_id, by=admin)
    except AdminsError as err:
        await ack(query, views.error(t, err.code), alert=True)
        return
    await _refresh_view(query, rt, session, t, target.id, "adm.admins.key_reset")
    await _send_key(query, t, issued)
    await ack(query)


async def remove_confirmed(
    query: CallbackQuery, callback_data: Adm, rt: Runtime, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    target = await svc.by_id(session, callback_data.id)
    if target is None:
        await outdated(query, t)
        return
    try:
        async with unit(session):
            await svc.remove(session, target.telegram_id, by=admin)
    except AdminsError as err:
        await ack(query, views.error(t, err.code), alert=True)
        return
    if query.bot is not None:
        await withdraw_admin_commands(query.bot, target.telegram_id)
    page = await svc.listing(session, 1)
    await show(query, *views.listing(t, page, rt.config.tz))
    await ack(query, t.plain("adm.admins.removed"))


def build() -> Router:
    router = Router(name="admin.admins")
    msg, cb = router.message, router.callback_query
    msg.register(add_id_entered, StateFilter(AdminAdmins.telegram_id), flags=SUPER)
    cb.register(show_list, AdmRoute(views.SEC, "", "list"), flags=SUPER)
    cb.register(show_view, AdmRoute(views.SEC, "view"), flags=SUPER)
    cb.register(add_start, AdmRoute(views.SEC, "add"), flags=SUPER)
    cb.register(add_role_picked, AdmRoute(views.SEC, "add_role"), StateFilter(AdminAdmins.role), flags=SUPER)
    cb.register(role_start, AdmRoute(views.SEC, "role"), flags=SUPER)
    cb.register(role_picked, AdmRoute(views.SEC, "set_role"), flags=SUPER)
    cb.register(confirm_start, AdmRoute(views.SEC, "reset", "remove"), flags=SUPER)
    cb.register(reset_confirmed, AdmRoute(views.SEC, "reset_ok"), flags=SUPER)
    cb.register(remove_confirmed, AdmRoute(views.SEC, "remove_ok"), flags=SUPER)
    return router
