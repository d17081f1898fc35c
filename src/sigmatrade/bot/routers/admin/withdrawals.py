"""Withdrawal desk (SPEC §5.8 "Withdrawals", §3.7.5–§3.7.6): queue, view, approve, reject with a reason.

FSM data while typing a reason: ``desk_payout`` (the payout id). Every handler carries its role flag.
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
from sigmatrade.bot.views.admin import withdrawals as views
from sigmatrade.bot.views.admin.panel import PanelButton
from sigmatrade.db.models import Admin
from sigmatrade.domain.enums import AdminRole
from sigmatrade.runtime import Runtime
from sigmatrade.services.admin import withdrawals as svc
from sigmatrade.services.admin.refusals import DeskRefusal
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.telegram_html import utf16_len

ORDER = 30
ROLE = {"role": AdminRole.ADMIN}
PAYOUT_KEY = "desk_payout"
PANEL = (PanelButton(order=10, sec=views.SEC, label="adm.wd.btn.panel", role=AdminRole.ADMIN),)


async def show_queue(
    query: CallbackQuery, callback_data: Adm, state: FSMContext, session: AsyncSession, t: Translator
) -> None:
    await leave_state(state)
    page = await svc.queue(session, callback_data.page or 1)
    await show(query, *views.queue(t, page))
    await ack(query)


async def _render_view(
    event: Message | CallbackQuery,
    rt: Runtime,
    session: AsyncSession,
    t: Translator,
    payout_id: int,
    page: int,
) -> bool:
    detail = await svc.detail(session, payout_id)
    if detail is None:
        return False
    await show(event, *views.view(t, detail, rt.config.explorer_base_url, page or 1))
    return True


async def show_view(
    query: CallbackQuery,
    callback_data: Adm,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    t: Translator,
) -> None:
    await leave_state(state)
    if not await _render_view(query, rt, session, t, callback_data.id, callback_data.page):
        await ack(query, views.refusal(t, "not_found"), alert=True)
        return
    await ack(query)


async def approve(
    query: CallbackQuery, callback_data: Adm, rt: Runtime, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    try:
        result = await svc.approve(session, rt, admin, callback_data.id)
    except DeskRefusal as exc:
        await ack(query, views.refusal(t, exc.code), alert=True)
        await _render_view(query, rt, session, t, callback_data.id, 1)
        return
    await ack(query, views.approved_notice(t, result), alert=True)
    await _render_view(query, rt, session, t, callback_data.id, 1)


async def ask_reason(query: CallbackQuery, callback_data: Adm, state: FSMContext, t: Translator) -> None:
    await state.set_state(DeskInput.reject_reason)
    await state.set_data({PAYOUT_KEY: callback_data.id})
    await show(query, *views.reason_prompt(t, callback_data.id))
    await ack(query)


async def _reject(
    event: Message | CallbackQuery,
    rt: Runtime,
    session: AsyncSession,
    admin: Admin,
    t: Translator,
    payout_id: int,
    reason: str | None,
) -> None:
    try:
        payout = await svc.reject(session, rt, admin, payout_id, reason)
    except DeskRefusal as exc:
        await refuse(event, views.refusal(t, exc.code))
        return
    await show(event, *views.rejected(t, payout))
    if isinstance(event, CallbackQuery):
        await ack(event)


async def reject_without_reason(
    query: CallbackQuery,
    callback_data: Adm,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    admin: Admin,
    t: Translator,
) -> None:
    await leave_state(state)
    await _reject(query, rt, session, admin, t, callback_data.id, None)


async def reason_typed(
    message: Message, state: FSMContext, rt: Runtime, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    data = await state.get_data()
    payout_id = data.get(PAYOUT_KEY)
    text = message.text
    if text is None or utf16_len(text) > svc.REASON_LIMIT:  # measured as the reason is cut
        await message.answer(t.raw("adm.wd.reason_too_long"))
        return
    await leave_state(state)
    if not isinstance(payout_id, int) or isinstance(payout_id, bool):
        await message.answer(views.refusal(t, "not_found"))
        return
    await _reject(message, rt, session, admin, t, payout_id, text)


def build() -> Router:
    router = Router(name="admin.withdrawals")
    router.message.register(reason_typed, StateFilter(DeskInput.reject_reason), flags=ROLE)
    router.callback_query.register(show_queue, AdmRoute(views.SEC, "", "list"), flags=ROLE)
    router.callback_query.register(show_view, AdmRoute(views.SEC, "view"), flags=ROLE)
    router.callback_query.register(approve, AdmRoute(views.SEC, "ok"), flags=ROLE)
    router.callback_query.register(ask_reason, AdmRoute(views.SEC, "rej"), flags=ROLE)
    router.callback_query.register(reject_without_reason, AdmRoute(views.SEC, "rejn"), flags=ROLE)
    return router
