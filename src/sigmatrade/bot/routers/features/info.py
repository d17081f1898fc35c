"""FAQ (SPEC §5.6 Help/Instructions companion): Nav → faq and /faq.

The Help and Instructions screens live in the common router; the FAQ repeats the deposit essentials
with live values: the system wallet from the DB setting and the confirmation rule from the config.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from sigmatrade.bot.answers import ANSWER_FIRST
from sigmatrade.bot.callbacks import nav_to
from sigmatrade.bot.flow import leave_state as _leave
from sigmatrade.bot.ui import show
from sigmatrade.bot.views import info as views
from sigmatrade.db.models import User
from sigmatrade.runtime import Runtime
from sigmatrade.texts.i18n import Translator

ORDER = 50


async def show_faq(
    event: Message | CallbackQuery, state: FSMContext, rt: Runtime, user: User | None, t: Translator
) -> None:
    await _leave(state)
    env = rt.config
    text, markup = views.faq(
        t,
        await rt.store.snapshot(),
        contract=env.usdt_contract_address,
        mode=env.chain_confirmation_mode,
        confirmations=env.confirmation_blocks,
        explorer=env.explorer_base_url,
        back_to="support" if user is not None else "menu",
    )
    await show(event, text, markup)


def build() -> Router:
    router = Router(name="info")
    router.message.register(show_faq, Command("faq"))
    router.callback_query.register(show_faq, nav_to("faq"), flags=ANSWER_FIRST)
    return router
