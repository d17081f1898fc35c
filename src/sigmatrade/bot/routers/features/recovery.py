"""Financial password recovery, user side (SPEC §3.8.2, §3.8.4, §5.6 "Recover finpass").

Help/Profile → "Recover financial password" → explanation + optional note (``Recovery.note``) →
confirm → request. After an admin approves, the button under the one-time password message asks for
the new password (``Recovery.confirm_new``); the typed password is deleted and never stored.
FSM data: ``fp_note`` (optional text), ``fp_ready`` (the confirm screen was shown).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Fp
from sigmatrade.bot.flow import ack as _ack
from sigmatrade.bot.flow import leave_state as _leave
from sigmatrade.bot.flow import limited
from sigmatrade.bot.flow import outdated as _outdated
from sigmatrade.bot.states import Recovery
from sigmatrade.bot.ui import delete_quietly, show
from sigmatrade.bot.views import recovery as views
from sigmatrade.db.models import User
from sigmatrade.domain.enums import RecoveryStatus
from sigmatrade.runtime import Runtime
from sigmatrade.services import finpass
from sigmatrade.services import recovery as svc
from sigmatrade.services.finpass import CheckOutcome
from sigmatrade.texts.i18n import Translator

ORDER = 10  # input states: before broad handlers of other features

NOTE_KEY = "fp_note"
READY_KEY = "fp_ready"


# ------------------------------------------------------------------------------------ request flow
async def start(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None, t: Translator
) -> None:
    if user is None:
        await _outdated(query, t)
        return
    info = await svc.overview(session, user)
    await _leave(state)
    if info.request is not None:
        await show(query, *views.existing(t, info.request))
    else:
        await state.set_state(Recovery.note)
        await show(query, *views.explain(t))
    await _ack(query)


async def note_skip(query: CallbackQuery, state: FSMContext, user: User | None, t: Translator) -> None:
    if user is None:
        await _outdated(query, t)
        return
    await state.update_data({NOTE_KEY: None, READY_KEY: True})
    await show(query, *views.confirm_screen(t, None))
    await _ack(query)


async def note_entered(message: Message, state: FSMContext, t: Translator) -> None:
    text = message.text or ""
    if text.startswith("/"):
        await message.answer(t("fp.note_command"), reply_markup=views.cancel_markup(t))
        return
    note = svc.clean_note(text)
    await state.update_data({NOTE_KEY: note, READY_KEY: True})
    await show(message, *views.confirm_screen(t, note))


async def note_unexpected(message: Message, t: Translator) -> None:
    await message.answer(t("fp.note_unexpected"), reply_markup=views.cancel_markup(t))


async def confirm(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    data = await state.get_data()
    if user is None or data.get(READY_KEY) is not True:
        await _outdated(query, t)
        return
    note = data.get(NOTE_KEY)
    try:
        result = await svc.request(session, rt, user, note if isinstance(note, str) else None)
    except svc.RecoveryError as err:
        await _leave(state)
        await limited(query, t, err.params.get("wait", 60))
        return
    await _leave(state)
    await show(query, *views.created(t, result.request, new=result.created))
    await _ack(query)


async def again(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    """The password never arrived or was lost: the request goes back to the admins' queue."""
    if user is None:
        await _outdated(query, t)
        return
    try:
        request = await svc.ask_again(session, rt, user)
    except svc.RecoveryError as err:
        if err.code == svc.RATE_LIMITED:
            await limited(query, t, err.params.get("wait", 60))
        else:
            await _ack(query, t.plain("fp.not_waiting"), alert=True)
        return
    await _leave(state)
    await show(query, *views.asked_again(t, request))
    await _ack(query)


# ------------------------------------------------------------------------------- confirm new password
async def confirm_new_start(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    if user is None:
        await _outdated(query, t)
        return
    info = await svc.overview(session, user)
    if info.request is None or info.request.status != RecoveryStatus.SENT:
        await _ack(query, t.plain("fp.not_waiting"), alert=True)
        return
    fresh = await session.get(User, user.id, populate_existing=True)
    if session.in_transaction():
        await session.commit()
    assert fresh is not None
    await _leave(state)
    now = clock.now()
    if fresh.finpass_locked_until is not None and fresh.finpass_locked_until > now:
        screen = views.locked(t, fresh.finpass_locked_until, now)
    else:
        attempts = await finpass.attempts_left(rt.store, fresh)
        if fresh.finpass_locked_until is not None:  # an expired lock resets the counter
            attempts = int(await rt.store.get("finpass.max_attempts"))
        await state.set_state(Recovery.confirm_new)
        screen = views.confirm_new_prompt(t, attempts)
    # A new message: the one with the password stays as the user left it.
    if isinstance(query.message, Message):
        await show(query.message, *screen)
    else:
        await show(query, *screen)
    await _ack(query)


async def confirm_new_entered(
    message: Message, state: FSMContext, rt: Runtime, session: AsyncSession, user: User | None, t: Translator
) -> None:
    typed = message.text or ""
    await delete_quietly(message)
    if typed.startswith("/"):
        await message.answer(t("fp.confirm_new_unexpected"), reply_markup=views.cancel_markup(t))
        return
    if user is None:
        await _leave(state)
        await message.answer(t("err.unknown_command"), reply_markup=kb.menu_only(t))
        return
    try:
        result = await svc.confirm_new(session, rt, user, typed)
    except svc.RecoveryError:
        await _leave(state)
        await message.answer(t("fp.not_waiting"), reply_markup=kb.menu_only(t))
        return
    if result.check.outcome == CheckOutcome.WRONG:
        await show(message, *views.wrong(t, result.check.attempts_left))
        return
    await _leave(state)
    if result.check.outcome == CheckOutcome.LOCKED or result.request is None:
        await show(message, *views.locked(t, result.check.locked_until, clock.now()))
        return
    await show(message, *views.completed(t, result.request))


async def confirm_new_unexpected(message: Message, t: Translator) -> None:
    await delete_quietly(message)  # a caption may carry the password too
    await message.answer(t("fp.confirm_new_unexpected"), reply_markup=views.cancel_markup(t))


def build() -> Router:
    router = Router(name="recovery")
    cb = router.callback_query
    cb.register(start, Fp.filter(F.action == "start"))
    cb.register(note_skip, Fp.filter(F.action == "note_skip"), StateFilter(Recovery.note))
    cb.register(confirm, Fp.filter(F.action == "confirm"), StateFilter(Recovery.note))
    cb.register(confirm_new_start, Fp.filter(F.action == "confirm_new"))
    cb.register(again, Fp.filter(F.action == "again"))
    msg = router.message
    msg.register(note_entered, StateFilter(Recovery.note), F.text)
    msg.register(note_unexpected, StateFilter(Recovery.note))
    msg.register(confirm_new_entered, StateFilter(Recovery.confirm_new), F.text)
    msg.register(confirm_new_unexpected, StateFilter(Recovery.confirm_new))
    return router
