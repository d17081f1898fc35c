"""Small pieces every feature router shares: leaving an input state, the "outdated button" answer."""

from __future__ import annotations

import contextlib

from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from sigmatrade.db.models import User
from sigmatrade.texts.i18n import Translator

REF_CODE_KEY = "ref_code"  # the /start referral payload, kept until registration
GUEST_KEYS = (REF_CODE_KEY, "lang")  # FSM data that survives leaving a state


async def leave_state(state: FSMContext, *keep: str) -> None:
    """Leave any input state and drop its data, keeping guest data and the named keys."""
    data = await state.get_data()
    if await state.get_state() is None and all(k in (*GUEST_KEYS, *keep) for k in data):
        return
    await state.set_state(None)
    await state.set_data({k: v for k, v in data.items() if k in (*GUEST_KEYS, *keep)})


async def outdated(query: CallbackQuery, t: Translator) -> None:
    """A stale, foreign or forged button: answered exactly like a missing object."""
    await query.answer(t.plain("err.outdated_button"), show_alert=True)


async def ack(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Answer a callback, ignoring a query that is too old to answer."""
    with contextlib.suppress(TelegramAPIError):
        await query.answer(text, show_alert=alert)


async def limited(query: CallbackQuery, t: Translator, wait_seconds: int) -> None:
    """The "try again in N min" alert of an action over its limit (``services.limits``)."""
    minutes = max(1, -(-int(wait_seconds) // 60))
    await ack(query, t.plain("err.action_limited", wait=t.plain("time.minutes", n=minutes)), alert=True)


async def member(
    query: CallbackQuery,
    state: FSMContext,
    user: User | None,
    t: Translator,
    guest_key: str = "err.outdated_button",
) -> User | None:
    """A navigation button: leave any input state; a guest (no user row) gets the ``guest_key`` alert."""
    await leave_state(state)
    if user is None:
        await query.answer(t.plain(guest_key), show_alert=True)
    return user
