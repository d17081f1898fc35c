"""Deposits screen, level view, activation, deposit status, pending deposits, history and cancel
(SPEC §3.2, §3.3.1–§3.3.2, §5.6).

No input states: every button here is navigation and leaves any input state of another flow.
Ids from callbacks are re-checked against the user; another user's deposit answers exactly like a
missing one (the "outdated button" alert).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.bot.answers import ANSWER_FIRST_MEMBER
from sigmatrade.bot.callbacks import Dep, nav_to
from sigmatrade.bot.flow import member
from sigmatrade.bot.flow import outdated as _outdated
from sigmatrade.bot.ui import show
from sigmatrade.bot.views import deposits as views
from sigmatrade.db.models import User
from sigmatrade.domain.enums import DepositStatus
from sigmatrade.runtime import Runtime
from sigmatrade.services import deposit_lifecycle
from sigmatrade.services import deposits as svc
from sigmatrade.texts.i18n import Translator

ORDER = 100


async def _gate(query: CallbackQuery, state: FSMContext, user: User | None, t: Translator) -> User | None:
    """Leave input states; guests get the outdated alert, unverified users the verify-first screen."""
    me = await member(query, state, user, t)
    if me is not None and not me.is_verified:
        await show(query, *views.verify_first(t))
        return None
    return me


async def _refused(query: CallbackQuery, t: Translator, err: svc.DepositError) -> None:
    if err.code == svc.NOT_FOUND:
        await _outdated(query, t)
    else:
        await query.answer(views.alert_text(t, err), show_alert=True)


# ------------------------------------------------------------------------------------------ screens
async def show_overview(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    """Nav → deposits and Back from the deposit screens."""
    me = await _gate(query, state, user, t)
    if me is None:
        return
    await show(query, *views.overview(t, await svc.overview(session, rt, me)))


async def show_level(
    query: CallbackQuery,
    callback_data: Dep,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    me = await _gate(query, state, user, t)
    if me is None:
        return
    try:
        view = await svc.level_view(session, rt, me, callback_data.level)
    except svc.DepositError as err:
        await _refused(query, t, err)
        return
    await show(query, *views.level(t, view))


async def activate(
    query: CallbackQuery,
    callback_data: Dep,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    me = await _gate(query, state, user, t)
    if me is None:
        return
    try:
        deposit = await svc.activate(session, rt, me, callback_data.level)
        # §4.3.6: a queued transfer that fits the new deposit is claimed at once (own transaction)
        if await deposit_lifecycle.late_match(rt, deposit.id) is not None:
            await session.refresh(deposit)
        info = await svc.describe(session, rt, me, deposit)
    except svc.DepositError as err:
        await _refused(query, t, err)
        return
    env = rt.config
    await show(query, *views.activation(t, info, tz=env.tz, tz_name=env.display_timezone))


async def show_status(
    query: CallbackQuery,
    callback_data: Dep,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    """ "I have sent it" / Refresh / a deposit of the pending list."""
    me = await _gate(query, state, user, t)
    if me is None:
        return
    try:
        info = await svc.status(session, rt, me, callback_data.id)
    except svc.DepositError as err:
        await _refused(query, t, err)
        return
    await query.answer(t.plain("dep.checked"))
    env = rt.config
    await show(query, *views.deposit_status(t, info, tz=env.tz, tz_name=env.display_timezone))


async def show_pending(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    me = await _gate(query, state, user, t)
    if me is None:
        return
    data = await svc.pending(session, rt, me)
    env = rt.config
    await show(query, *views.pending_list(t, data, tz=env.tz, tz_name=env.display_timezone))


async def show_history(
    query: CallbackQuery,
    callback_data: Dep,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    me = await _gate(query, state, user, t)
    if me is None:
        return
    page = await svc.history(session, me.id, callback_data.page)
    env = rt.config
    await show(query, *views.history(t, page, explorer=env.explorer_base_url, tz=env.tz))


# ------------------------------------------------------------------------------------------- cancel
async def cancel_ask(
    query: CallbackQuery,
    callback_data: Dep,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    me = await _gate(query, state, user, t)
    if me is None:
        return
    deposit = await svc.own_deposit(session, me.id, callback_data.id)
    if deposit is None:
        await _outdated(query, t)
        return
    if deposit.status != DepositStatus.PENDING:
        err = svc.DepositError(svc.NOT_CANCELLABLE, deposit_id=deposit.id, status=deposit.status)
        await query.answer(views.alert_text(t, err), show_alert=True)
        return
    await show(query, *views.cancel_confirm(t, deposit))


async def cancel_do(
    query: CallbackQuery,
    callback_data: Dep,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    me = await _gate(query, state, user, t)
    if me is None:
        return
    try:
        deposit = await svc.cancel(session, rt, me, callback_data.id)
    except svc.DepositError as err:
        await _refused(query, t, err)
        return
    await show(query, *views.cancelled(t, deposit))


def build() -> Router:
    router = Router(name="deposits")
    cb = router.callback_query
    cb.register(show_overview, nav_to("deposits"), flags=ANSWER_FIRST_MEMBER)
    cb.register(show_overview, Dep.filter(F.action == "levels"))
    cb.register(show_level, Dep.filter(F.action == "level"))
    cb.register(activate, Dep.filter(F.action == "activate"))
    cb.register(show_status, Dep.filter(F.action == "status"))
    cb.register(show_pending, Dep.filter(F.action == "pending"))
    cb.register(show_history, Dep.filter(F.action == "history"))
    cb.register(cancel_ask, Dep.filter(F.action == "cancel"))
    cb.register(cancel_do, Dep.filter(F.action == "cancel_ok"))
    return router
