"""Finpass recovery requests (SPEC §5.8 "Finpass requests", §3.8.3): list, view, take, approve (confirm;
the new password is sent once by ``services.recovery`` and never stored in plaintext or queued), reject
with an optional comment. FSM data while typing a comment: ``desk_request``."""

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
from sigmatrade.bot.views import recovery as user_views
from sigmatrade.bot.views.admin import finpass as views
from sigmatrade.bot.views.admin.panel import PanelButton
from sigmatrade.db.models import Admin
from sigmatrade.domain.enums import AdminRole
from sigmatrade.runtime import Runtime
from sigmatrade.services import recovery
from sigmatrade.services.admin import finpass as svc
from sigmatrade.texts.i18n import Translator

ORDER = 33
ROLE = {"role": AdminRole.ADMIN}
REQUEST_KEY = "desk_request"
PANEL = (PanelButton(order=70, sec=views.SEC, label="adm.fpr.btn.panel", role=AdminRole.ADMIN),)


def _refusal(t: Translator, exc: recovery.RecoveryError) -> str:
    code = exc.code if exc.code in (recovery.NOT_FOUND, recovery.NOT_OPEN) else recovery.NOT_OPEN
    return t.raw(f"adm.fpr.refused.{code}")


async def show_queue(
    query: CallbackQuery, callback_data: Adm, state: FSMContext, session: AsyncSession, t: Translator
) -> None:
    await leave_state(state)
    await show(query, *views.queue(t, await svc.queue(session, callback_data.page or 1)))
    await ack(query)


async def _render(
    event: Message | CallbackQuery, session: AsyncSession, t: Translator, request_id: int
) -> bool:
    item = await svc.entry(session, request_id)
    if item is None:
        return False
    await show(event, *views.view(t, item))
    return True


async def show_view(
    query: CallbackQuery, callback_data: Adm, state: FSMContext, session: AsyncSession, t: Translator
) -> None:
    await leave_state(state)
    if not await _render(query, session, t, callback_data.id):
        await ack(query, t.raw("adm.fpr.refused.not_found"), alert=True)
        return
    await ack(query)


async def take(
    query: CallbackQuery, callback_data: Adm, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    try:
        await recovery.take(session, callback_data.id, admin.id)
    except recovery.RecoveryError as exc:
        await ack(query, _refusal(t, exc), alert=True)
        return
    await ack(query, t.plain("adm.fpr.taken", id=callback_data.id))
    await _render(query, session, t, callback_data.id)


async def ask_approve(query: CallbackQuery, callback_data: Adm, session: AsyncSession, t: Translator) -> None:
    item = await svc.entry(session, callback_data.id)
    if item is None or item.request.status not in svc.OPEN:
        await ack(query, t.raw("adm.fpr.refused.not_open"), alert=True)
        return
    await show(query, *views.confirm_approve(t, callback_data.id))
    await ack(query)


async def approve(
    query: CallbackQuery, callback_data: Adm, rt: Runtime, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    try:
        decision = await recovery.decide(
            session, rt, callback_data.id, admin.id, True, confirm_markup=user_views.confirm_new_markup
        )
    except recovery.RecoveryError as exc:
        await ack(query, _refusal(t, exc), alert=True)
        return
    key = "adm.fpr.approved" if decision.delivered else "adm.fpr.approved_undelivered"
    await show(query, *views.done(t, key, callback_data.id))
    await ack(query)


async def ask_comment(query: CallbackQuery, callback_data: Adm, state: FSMContext, t: Translator) -> None:
    await state.set_state(DeskInput.finpass_comment)
    await state.set_data({REQUEST_KEY: callback_data.id})
    await show(query, *views.comment_prompt(t, callback_data.id))
    await ack(query)


async def _reject(
    event: Message | CallbackQuery,
    rt: Runtime,
    session: AsyncSession,
    admin: Admin,
    t: Translator,
    request_id: int,
    comment: str | None,
) -> None:
    try:
        await recovery.decide(session, rt, request_id, admin.id, False, comment)
    except recovery.RecoveryError as exc:
        await refuse(event, _refusal(t, exc))
        return
    await show(event, *views.done(t, "adm.fpr.rejected", request_id))
    if isinstance(event, CallbackQuery):
        await ack(event)


async def reject_without_comment(
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


async def comment_typed(
    message: Message, state: FSMContext, rt: Runtime, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    text = message.text
    if text is None or len(text) > recovery.MAX_NOTE:
        await message.answer(t.raw("adm.fpr.comment_too_long"))
        return
    request_id = (await state.get_data()).get(REQUEST_KEY)
    await leave_state(state)
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        await message.answer(t.raw("adm.fpr.refused.not_found"))
        return
    await _reject(message, rt, session, admin, t, request_id, text)


def build() -> Router:
    router = Router(name="admin.finpass")
    router.message.register(comment_typed, StateFilter(DeskInput.finpass_comment), flags=ROLE)
    router.callback_query.register(show_queue, AdmRoute(views.SEC, "", "list"), flags=ROLE)
    router.callback_query.register(show_view, AdmRoute(views.SEC, "view"), flags=ROLE)
    router.callback_query.register(take, AdmRoute(views.SEC, "take"), flags=ROLE)
    router.callback_query.register(ask_approve, AdmRoute(views.SEC, "ok"), flags=ROLE)
    router.callback_query.register(approve, AdmRoute(views.SEC, "okyes"), flags=ROLE)
    router.callback_query.register(ask_comment, AdmRoute(views.SEC, "rej"), flags=ROLE)
    router.callback_query.register(reject_without_comment, AdmRoute(views.SEC, "rejn"), flags=ROLE)
    return router
