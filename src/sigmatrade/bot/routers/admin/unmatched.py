"""Unmatched deposit desk (SPEC §5.8, §4.5): queue, view, assign (user → level → confirm), refund and
ignore (note → confirm). Assign is open to every admin; refund and ignore need an extended admin.

The assignment travels in the callback data (``user-level``, bounded); FSM data while typing:
``desk_item`` (the item id) and, for a note, ``desk_note`` (the admin's note, shown on the confirm screen).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.bot.admin_flow import AdmRoute
from sigmatrade.bot.admin_flow import answer as refuse
from sigmatrade.bot.callbacks import Adm
from sigmatrade.bot.flow import ack, leave_state
from sigmatrade.bot.states import DeskInput
from sigmatrade.bot.ui import show
from sigmatrade.bot.views.admin import unmatched as views
from sigmatrade.bot.views.admin.desk_common import who
from sigmatrade.bot.views.admin.panel import PanelButton
from sigmatrade.db.models import Admin
from sigmatrade.domain.enums import AdminRole
from sigmatrade.runtime import Runtime
from sigmatrade.services.admin import unmatched as svc
from sigmatrade.services.admin.refusals import NOT_FOUND, DeskRefusal
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.telegram_html import utf16_len

ORDER = 32
ANY = {"role": AdminRole.ADMIN}
EXT = {"role": AdminRole.EXTENDED_ADMIN}
ITEM_KEY = "desk_item"
NOTE_KEY = "desk_note"
ACTION_KEY = "desk_action"
NOTE_ACTIONS = ("ref", "ign")
PANEL = (PanelButton(order=30, sec=views.SEC, label="adm.um.btn.panel", role=AdminRole.ADMIN),)


async def _refuse(event: Message | CallbackQuery, t: Translator, exc: DeskRefusal) -> None:
    await refuse(event, views.refused(t, exc.code, exc.params))


async def show_queue(
    query: CallbackQuery,
    callback_data: Adm,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    t: Translator,
) -> None:
    await leave_state(state)
    page = await svc.queue(session, callback_data.page or 1)
    await show(query, *views.queue(t, page, rt.config.explorer_base_url))
    await ack(query)


async def show_item(
    query: CallbackQuery,
    callback_data: Adm,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    t: Translator,
) -> None:
    await leave_state(state)
    entry = await svc.item(session, callback_data.id)
    if entry is None:
        await _refuse(query, t, DeskRefusal(NOT_FOUND))
        return
    await show(query, *views.view(t, entry, rt.config.explorer_base_url, callback_data.page or 1))
    await ack(query)


# ---------------------------------------------------------------------------------------------- assign
async def ask_user(query: CallbackQuery, callback_data: Adm, state: FSMContext, t: Translator) -> None:
    await state.set_state(DeskInput.unmatched_user)
    await state.set_data({ITEM_KEY: callback_data.id})
    await show(query, *views.user_prompt(t, callback_data.id))
    await ack(query)


async def user_typed(message: Message, state: FSMContext, session: AsyncSession, t: Translator) -> None:
    item_id = (await state.get_data()).get(ITEM_KEY)
    found = await svc.find_user(session, message.text or "") if message.text else None
    if found is None:
        await message.answer(t.raw("adm.um.user_not_found"))
        return
    await leave_state(state)
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        await message.answer(views.refused(t, NOT_FOUND, {}))
        return
    await show(message, *views.levels(t, item_id, found))


async def pick_level(
    query: CallbackQuery, callback_data: Adm, rt: Runtime, session: AsyncSession, t: Translator
) -> None:
    target = views.parse_assignment(callback_data.arg)
    user = await svc.user_by_id(session, target[0]) if target is not None else None
    if target is None or user is None:
        await _refuse(query, t, DeskRefusal(NOT_FOUND))
        return
    try:
        received = await svc.check_assign(session, rt, callback_data.id, user.id, target[1])
    except DeskRefusal as exc:
        await _refuse(query, t, exc)
        return
    await show(query, *views.confirm_assign(t, callback_data.id, user, target[1], received))
    await ack(query)


async def assign(
    query: CallbackQuery, callback_data: Adm, rt: Runtime, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    target = views.parse_assignment(callback_data.arg)
    if target is None:
        await _refuse(query, t, DeskRefusal(NOT_FOUND))
        return
    try:
        confirmation = await svc.assign(session, rt, admin, callback_data.id, target[0], target[1])
    except DeskRefusal as exc:
        await _refuse(query, t, exc)
        return
    screen = views.done(
        t,
        "adm.um.assigned",
        id=callback_data.id,
        deposit=confirmation.deposit.id,
        user=who(confirmation.user),
    )
    await show(query, *screen)
    await ack(query)


# ------------------------------------------------------------------------------------- refund / ignore
async def ask_note(query: CallbackQuery, callback_data: Adm, state: FSMContext, t: Translator) -> None:
    await state.set_state(DeskInput.unmatched_note)
    await state.set_data({ITEM_KEY: callback_data.id, ACTION_KEY: callback_data.act})
    await show(query, *views.note_prompt(t, callback_data.id, callback_data.act))
    await ack(query)


async def note_typed(message: Message, state: FSMContext, session: AsyncSession, t: Translator) -> None:
    data = await state.get_data()
    note = svc.clean_note(message.text)
    if note is None or utf16_len(message.text or "") > svc.NOTE_LIMIT:  # measured as the note is cut
        await message.answer(t.raw("adm.um.note_too_long"))
        return
    item_id, action = data.get(ITEM_KEY), data.get(ACTION_KEY)
    entry = await svc.item(session, item_id) if isinstance(item_id, int) else None
    if entry is None or action not in NOTE_ACTIONS:
        await leave_state(state)
        await message.answer(views.refused(t, NOT_FOUND, {}))
        return
    await state.set_state(None)  # the note waits in FSM data for the confirm button
    await state.set_data({ITEM_KEY: item_id, ACTION_KEY: action, NOTE_KEY: note})
    await show(message, *views.confirm_note(t, entry.item.id, str(action), note, entry.transfer.amount))


async def _noted(state: FSMContext, item_id: int, action: str) -> str | None:
    data = await state.get_data()
    if data.get(ITEM_KEY) != item_id or data.get(ACTION_KEY) != action:
        return None
    note = data.get(NOTE_KEY)
    return note if isinstance(note, str) else None


async def refund(
    query: CallbackQuery,
    callback_data: Adm,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    admin: Admin,
    t: Translator,
) -> None:
    note = await _noted(state, callback_data.id, "ref")
    try:
        payout = await svc.refund(session, rt, admin, callback_data.id, note)
    except DeskRefusal as exc:
        await _refuse(query, t, exc)
        return
    await leave_state(state)
    status = t.raw(f"adm.wd.status.{payout.status}")
    await show(query, *views.done(t, "adm.um.refunded", id=callback_data.id, payout=payout.id, status=status))
    await ack(query)


async def ignore(
    query: CallbackQuery,
    callback_data: Adm,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    admin: Admin,
    t: Translator,
) -> None:
    note = await _noted(state, callback_data.id, "ign")
    try:
        await svc.ignore(session, rt, admin, callback_data.id, note)
    except DeskRefusal as exc:
        await _refuse(query, t, exc)
        return
    await leave_state(state)
    await show(query, *views.done(t, "adm.um.ignored", id=callback_data.id))
    await ack(query)


def build() -> Router:
    router = Router(name="admin.unmatched")
    router.message.register(user_typed, StateFilter(DeskInput.unmatched_user), flags=ANY)
    router.message.register(note_typed, StateFilter(DeskInput.unmatched_note), flags=EXT)
    router.callback_query.register(show_queue, AdmRoute(views.SEC, "", "list"), flags=ANY)
    router.callback_query.register(show_item, AdmRoute(views.SEC, "view"), flags=ANY)
    router.callback_query.register(ask_user, AdmRoute(views.SEC, "asg"), flags=ANY)
    router.callback_query.register(pick_level, AdmRoute(views.SEC, "lvl"), flags=ANY)
    router.callback_query.register(assign, AdmRoute(views.SEC, "asgok"), flags=ANY)
    router.callback_query.register(ask_note, AdmRoute(views.SEC, *NOTE_ACTIONS), flags=EXT)
    router.callback_query.register(refund, AdmRoute(views.SEC, "refok"), flags=EXT)
    router.callback_query.register(ignore, AdmRoute(views.SEC, "ignok"), flags=EXT)
    return router
