"""Profile and preferences (SPEC §5.6): the profile screen, accrual notifications toggle, contacts editing.

Language switching itself lives in the common router (``Nav(to="language")`` → ``Lang``).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.answers import ANSWER_FIRST_MEMBER
from sigmatrade.bot.callbacks import Set, nav_to
from sigmatrade.bot.flow import leave_state as _leave
from sigmatrade.bot.flow import outdated as _outdated
from sigmatrade.bot.states import PreferenceStates
from sigmatrade.bot.ui import show
from sigmatrade.bot.views import profile as views
from sigmatrade.bot.views import registration as reg_views
from sigmatrade.db.models import User
from sigmatrade.domain.contacts import Contacts, ContactsProblem, parse_contacts
from sigmatrade.runtime import Runtime
from sigmatrade.services import limits
from sigmatrade.services import profile as svc
from sigmatrade.texts.i18n import Translator

ORDER = 20  # the contacts input state: before broad handlers of other features
REMOVE = "-"


async def show_profile(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    await _leave(state)
    if user is None:
        await _outdated(query, t)
        return
    data = await svc.overview(session, rt, user.id)
    await show(query, *views.profile(t, data, explorer=rt.config.explorer_base_url, tz=rt.config.tz))


async def show_settings(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    await _leave(state)
    if user is None:
        await _outdated(query, t)
        return
    prefs = await svc.preferences(session, rt, user.id)
    await show(query, *views.settings(t, notify=prefs.accrual_notifications, contacts=prefs.contacts))


async def toggle_notifications(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    await _leave(state)
    if user is None:
        await _outdated(query, t)
        return
    now_on = await svc.toggle_accrual_notifications(session, user.id)
    await query.answer(
        t.plain("profile.settings.notify_now_on" if now_on else "profile.settings.notify_now_off")
    )
    prefs = await svc.preferences(session, rt, user.id)
    await show(query, *views.settings(t, notify=prefs.accrual_notifications, contacts=prefs.contacts))


async def contacts_start(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    await _leave(state)
    if user is None:
        await _outdated(query, t)
        return
    current = await svc.masked_contacts(session, rt, user.id)
    await state.set_state(PreferenceStates.contacts)
    await show(query, *views.contacts_prompt(t, current))


async def contacts_entered(
    message: Message, state: FSMContext, rt: Runtime, session: AsyncSession, user: User | None, t: Translator
) -> None:
    text = (message.text or "").strip()
    if user is None:
        await _leave(state)
        await message.answer(t("err.unknown_command"), reply_markup=kb.menu_only(t))
        return
    if text.startswith("/"):
        await show(message, *reg_views.unexpected(t, "contacts", views.cancel_markup(t)))
        return
    parsed = Contacts() if text == REMOVE else parse_contacts(text)
    if isinstance(parsed, ContactsProblem):
        await show(message, *reg_views.contacts_error(t, parsed, views.cancel_markup(t)))
        return
    verdict = await limits.hit(rt, svc.CONTACTS_LIMIT_ACTION, user.telegram_id)
    if not verdict.allowed:
        wait = t.plain("time.minutes", n=limits.wait_text_minutes(verdict.wait_seconds))
        await message.answer(t("err.action_limited", wait=wait), reply_markup=views.cancel_markup(t))
        return
    masked = await svc.save_contacts(session, rt, user.id, parsed)
    await _leave(state)
    if masked.empty:
        notice = t("profile.settings.contacts_removed")
    else:
        notice = t("profile.settings.contacts_saved", contacts=reg_views.contacts_line(t, masked))
    prefs = await svc.preferences(session, rt, user.id)
    await show(
        message,
        *views.settings_with_notice(t, notice, notify=prefs.accrual_notifications, contacts=prefs.contacts),
    )


async def contacts_unexpected(message: Message, t: Translator) -> None:
    await show(message, *reg_views.unexpected(t, "contacts", views.cancel_markup(t)))


def build() -> Router:
    router = Router(name="profile")
    cb = router.callback_query
    cb.register(show_profile, nav_to("profile"), flags=ANSWER_FIRST_MEMBER)
    cb.register(show_settings, nav_to("settings"), flags=ANSWER_FIRST_MEMBER)
    cb.register(toggle_notifications, Set.filter(F.action == "notify"))
    cb.register(contacts_start, Set.filter(F.action == "contacts"))
    msg = router.message
    msg.register(contacts_entered, StateFilter(PreferenceStates.contacts), F.text)
    msg.register(contacts_unexpected, StateFilter(PreferenceStates.contacts))
    return router
