"""/start, /menu, /help, /cancel, /language, navigation to menu/help/instructions/language."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.bot.answers import ANSWER_FIRST
from sigmatrade.bot.callbacks import Lang, nav_to
from sigmatrade.bot.flow import REF_CODE_KEY
from sigmatrade.bot.flow import leave_state as _leave_state
from sigmatrade.bot.ui import show
from sigmatrade.bot.views import common as views
from sigmatrade.db.models import Admin, User
from sigmatrade.runtime import Runtime
from sigmatrade.services import profile
from sigmatrade.services import users as user_service
from sigmatrade.texts.i18n import Translator


async def _snapshot(rt: Runtime) -> dict[str, Any]:
    return await rt.store.snapshot()


async def render_home(
    event: Message | CallbackQuery,
    *,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    admin: Admin | None,
    t: Translator,
    state: FSMContext,
    greeting: bool = False,
) -> None:
    """Main menu for registered users, welcome screen for guests."""
    if user is None:
        data = await state.get_data()
        referrer_name, invalid = await _referral_preview(session, data.get(REF_CODE_KEY))
        text, markup = views.welcome(t, await _snapshot(rt), referrer=referrer_name, invalid_ref=invalid)
    else:
        hello = t("welcome.back", name=user_service.display_name(user)) if greeting else None
        text, markup = views.main_menu(
            t, verified=user.is_verified, is_admin=admin is not None, greeting=hello
        )
    await show(event, text, markup)


async def _referral_preview(session: AsyncSession, code: str | None) -> tuple[str | None, bool]:
    if not code:
        return None, False
    referrer = await user_service.by_referral_code(session, code)
    if session.in_transaction():
        await session.commit()  # end the read; rollback would expire loaded rows
    if referrer is None or referrer.is_banned:
        return None, True
    return user_service.display_name(referrer), False


async def cmd_start(message: Message, command: CommandObject, state: FSMContext, **kw: Any) -> None:
    user: User | None = kw["user"]
    await state.set_state(None)
    if user is None:
        payload = (command.args or "").strip()
        data = await state.get_data()
        if payload:
            data[REF_CODE_KEY] = payload[:32]
        await state.set_data({k: v for k, v in data.items() if k in (REF_CODE_KEY, "lang")})
    await render_home(message, state=state, greeting=True, **_ctx(kw))


async def cmd_menu(message: Message, state: FSMContext, **kw: Any) -> None:
    was_in_state = await state.get_state() is not None
    await _leave_state(state)
    t: Translator = kw["t"]
    if was_in_state and message.text and message.text.startswith("/cancel"):
        await message.answer(t("cancel.done"))
    await render_home(message, state=state, **_ctx(kw))


async def nav_menu(query: CallbackQuery, state: FSMContext, **kw: Any) -> None:
    await _leave_state(state)
    await render_home(query, state=state, **_ctx(kw))


async def show_help(
    event: Message | CallbackQuery, state: FSMContext, rt: Runtime, t: Translator, user: User | None
) -> None:
    await _leave_state(state)
    text, markup = views.help_screen(t, await _snapshot(rt), registered=user is not None)
    await show(event, text, markup)


async def show_instructions(query: CallbackQuery, state: FSMContext, rt: Runtime, t: Translator) -> None:
    await _leave_state(state)
    env = rt.config
    text, markup = views.instructions(
        t,
        await _snapshot(rt),
        contract=env.usdt_contract_address,
        mode=env.chain_confirmation_mode,
        confirmations=env.confirmation_blocks,
        explorer=env.explorer_base_url,
    )
    await show(query, text, markup)


async def show_language(
    event: Message | CallbackQuery, state: FSMContext, t: Translator, user: User | None
) -> None:
    await _leave_state(state)
    text, markup = views.language(t, back_to="settings" if user is not None else "menu")
    await show(event, text, markup)


async def set_language(query: CallbackQuery, callback_data: Lang, state: FSMContext, **kw: Any) -> None:
    user: User | None = kw["user"]
    if callback_data.code not in ("ru", "en"):
        await query.answer(kw["t"].plain("err.outdated_button"), show_alert=True)
        return
    if user is not None:
        await profile.set_language(kw["session"], user, callback_data.code)
    else:
        await state.update_data(lang=callback_data.code)
    t = Translator(callback_data.code)
    await query.answer(t.plain("lang.changed"))
    kw["t"] = t
    await render_home(query, state=state, **_ctx(kw))


def _ctx(kw: dict[str, Any]) -> dict[str, Any]:
    return {k: kw[k] for k in ("rt", "session", "user", "admin", "t")}


def build() -> Router:
    """A fresh router (several dispatchers may live in one process: tests, replicas)."""
    router = Router(name="common")
    router.message.register(cmd_start, CommandStart())
    router.message.register(cmd_menu, Command("menu", "cancel"))
    router.callback_query.register(nav_menu, nav_to("menu"), flags=ANSWER_FIRST)
    router.message.register(show_help, Command("help"))
    router.callback_query.register(show_help, nav_to("help"), flags=ANSWER_FIRST)
    router.callback_query.register(show_instructions, nav_to("instructions"), flags=ANSWER_FIRST)
    router.message.register(show_language, Command("language"))
    router.callback_query.register(show_language, nav_to("language"), flags=ANSWER_FIRST)
    router.callback_query.register(set_language, Lang.filter())
    return router
