"""Transaction history (SPEC §5.6 History): merged deposits, rewards, referral income and payouts
with filters and pagination. Navigation only: pressing it leaves any input state.

Guests get the "register first" alert; an unknown filter gets the "outdated button" alert and
nothing changes; page numbers are clamped.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.bot.answers import ANSWER_FIRST_MEMBER
from sigmatrade.bot.callbacks import Hist, nav_to
from sigmatrade.bot.flow import member
from sigmatrade.bot.ui import show
from sigmatrade.bot.views import history as views
from sigmatrade.db.models import User
from sigmatrade.runtime import Runtime
from sigmatrade.services import history as svc
from sigmatrade.texts.i18n import Translator

ORDER = 100


async def _render(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
    kind: str,
    page: int,
) -> None:
    me = await member(query, state, user, t, "hist.register_first")
    if me is None:
        return
    try:
        page_data = await svc.history(session, me.id, kind, page, rt.config.tz)
    except svc.HistoryError:
        await query.answer(t.plain("err.outdated_button"), show_alert=True)
        return
    env = rt.config
    await show(query, *views.history(t, page_data, explorer=env.explorer_base_url, tz=env.tz))


async def show_from_menu(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    await _render(query, state, rt, session, user, t, svc.ALL, 1)


async def show_page(
    query: CallbackQuery,
    callback_data: Hist,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    await _render(query, state, rt, session, user, t, callback_data.kind, callback_data.page)


def build() -> Router:
    router = Router(name="history")
    router.callback_query.register(show_from_menu, nav_to("history"), flags=ANSWER_FIRST_MEMBER)
    router.callback_query.register(show_page, Hist.filter())
    return router
