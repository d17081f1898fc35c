"""Referral screens (SPEC §3.4.6–§3.4.8, §5.6): home with stats, my link, lists per depth,
commissions, leaderboard. Navigation only: every button here leaves any input state.

Guests get the "register first" alert. Forged depth or metric gets the "outdated button" alert and
nothing changes; page numbers are clamped (missing, 0 or negative → 1, beyond the last → last).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.bot.callbacks import Ref, nav_to
from sigmatrade.bot.flow import member
from sigmatrade.bot.flow import outdated as _outdated
from sigmatrade.bot.ui import show
from sigmatrade.bot.views import referrals as views
from sigmatrade.db.models import User
from sigmatrade.runtime import Runtime
from sigmatrade.services import referrals as svc
from sigmatrade.texts.i18n import Translator

ORDER = 100


async def _gate(query: CallbackQuery, state: FSMContext, user: User | None, t: Translator) -> User | None:
    """Leave any input state (keeping guest data); guests get the register-first alert."""
    return await member(query, state, user, t, "ref.register_first")


async def show_home(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    """Nav → referrals and Back from the referral screens."""
    me = await _gate(query, state, user, t)
    if me is None:
        return
    await show(query, *views.home(t, await svc.overview(session, rt, me)))


async def show_link(
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
    await show(query, *views.my_link(t, await svc.overview(session, rt, me)))


async def show_list(
    query: CallbackQuery,
    callback_data: Ref,
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
        data = await svc.referrals_page(session, me.id, callback_data.depth, callback_data.page)
    except svc.ReferralQueryError:
        await _outdated(query, t)
        return
    await show(query, *views.referral_list(t, data, tz=rt.config.tz))


async def show_commissions(
    query: CallbackQuery,
    callback_data: Ref,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    me = await _gate(query, state, user, t)
    if me is None:
        return
    data = await svc.commissions_page(session, me.id, callback_data.page)
    await show(query, *views.commissions(t, data, tz=rt.config.tz))


async def show_board(
    query: CallbackQuery,
    callback_data: Ref,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    me = await _gate(query, state, user, t)
    if me is None:
        return
    try:
        data = await svc.leaderboard(session, me.id, callback_data.metric)
    except svc.ReferralQueryError:
        await _outdated(query, t)
        return
    await show(query, *views.leaderboard(t, data))


def build() -> Router:
    router = Router(name="referrals")
    cb = router.callback_query
    cb.register(show_home, nav_to("referrals"))
    cb.register(show_home, Ref.filter(F.action == "home"))
    cb.register(show_link, Ref.filter(F.action == "link"))
    cb.register(show_list, Ref.filter(F.action == "list"))
    cb.register(show_commissions, Ref.filter(F.action == "comms"))
    cb.register(show_board, Ref.filter(F.action == "board"))
    return router
