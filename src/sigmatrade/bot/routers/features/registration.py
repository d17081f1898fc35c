"""Registration, verification and the optional contacts step (SPEC §3.1, §3.4, §5.5).

Register → wallet (→ case confirmation) → registered (finpass shown once) → Verify → finpass typed back →
verified → contacts or Skip → finished (referral link).

FSM data: ``ref_code``/``lang`` (guest data kept by the common router), ``reg_wallet`` (the checksum form
waiting for the case confirmation) and ``reg_pw_msg`` (id of the message showing the finpass, deleted after
verification). The finpass itself never enters FSM data; the message the user types it in is deleted.
"""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Reg
from sigmatrade.bot.flow import leave_state as _leave
from sigmatrade.bot.flow import limited
from sigmatrade.bot.flow import outdated as _outdated
from sigmatrade.bot.routers.common import REF_CODE_KEY
from sigmatrade.bot.states import Registration
from sigmatrade.bot.ui import delete_quietly, show
from sigmatrade.bot.views import registration as views
from sigmatrade.db.models import User
from sigmatrade.domain.codes import looks_like_finpass
from sigmatrade.domain.contacts import ContactsProblem, parse_contacts
from sigmatrade.runtime import Runtime
from sigmatrade.services import limits
from sigmatrade.services import profile as profile_svc
from sigmatrade.services import registration as svc
from sigmatrade.services.finpass import CheckOutcome
from sigmatrade.services.notifications import Content, notifier
from sigmatrade.services.users import display_name
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe

ORDER = 10  # input states: before broad handlers of other features

WALLET_KEY = "reg_wallet"
PW_MSG_KEY = "reg_pw_msg"


async def _stale(message: Message, state: FSMContext, t: Translator) -> None:
    """A registration state without the data it needs (or of a user who registered meanwhile)."""
    await _leave(state)
    await message.answer(t("err.unknown_command"), reply_markup=kb.menu_only(t))


async def _show_id(event: Message | CallbackQuery, text: Safe, markup: InlineKeyboardMarkup) -> int:
    """Like ``ui.show`` but returns the id of the message that now carries the screen."""
    if isinstance(event, CallbackQuery):
        msg = event.message
        if isinstance(msg, Message) and msg.text is not None:
            with contextlib.suppress(TelegramBadRequest):
                await msg.edit_text(text, reply_markup=markup)
                return msg.message_id
        sent = await event.bot.send_message(event.from_user.id, text, reply_markup=markup)  # type: ignore[union-attr]
        return sent.message_id
    sent = await event.answer(text, reply_markup=markup)
    return sent.message_id


async def _send(query: CallbackQuery, text: Safe, markup: InlineKeyboardMarkup) -> None:
    """A new message (the screen the button belongs to stays, e.g. the one showing the finpass)."""
    await query.bot.send_message(query.from_user.id, text, reply_markup=markup)  # type: ignore[union-attr]


# -------------------------------------------------------------------------------------------- start
async def start(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    if user is not None:
        await query.answer(t.plain("reg.already_registered"), show_alert=True)
        return
    try:
        await svc.begin(session, rt, query.from_user.id)
    except svc.RegistrationError as err:
        await _leave(state)
        await show(query, *views.refused(t, err))
        return
    await _leave(state)
    await state.set_state(Registration.wallet)
    await show(query, *views.wallet_prompt(t))


# ------------------------------------------------------------------------------------------- wallet
async def wallet_entered(
    message: Message, state: FSMContext, rt: Runtime, session: AsyncSession, user: User | None, t: Translator
) -> None:
    text = (message.text or "").strip()
    if user is not None:  # registered meanwhile (another device, a stale state)
        await _leave(state)
        await show(message, *views.refused(t, svc.RegistrationError(svc.ALREADY_REGISTERED)))
        return
    if text.startswith("/"):
        await show(message, *views.unexpected(t, "wallet"))
        return
    try:
        parsed = await svc.check_wallet(session, rt, text)
    except svc.RegistrationError as err:
        await show(message, *views.wallet_error(t, err))
        return
    if not parsed.was_checksummed:
        await state.update_data({WALLET_KEY: parsed.checksum})
        await state.set_state(Registration.confirm_wallet_case)
        await show(message, *views.case_warning(t, text, parsed.checksum))
        return
    await _register(message, state, rt, session, t, parsed.checksum)


async def wallet_unexpected(message: Message, t: Translator) -> None:
    await show(message, *views.unexpected(t, "wallet"))


async def case_confirmed(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    wallet = (await state.get_data()).get(WALLET_KEY)
    if user is not None or not isinstance(wallet, str):
        await _leave(state)
        await _outdated(query, t)
        return
    await _register(query, state, rt, session, t, wallet)


async def case_reenter(query: CallbackQuery, state: FSMContext, user: User | None, t: Translator) -> None:
    await _leave(state)
    if user is not None:
        await _outdated(query, t)
        return
    await state.set_state(Registration.wallet)
    await show(query, *views.wallet_prompt(t))


async def case_unexpected(message: Message, t: Translator) -> None:
    await show(message, *views.unexpected(t, "case"))


async def _register(
    event: Message | CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    t: Translator,
    wallet: str,
) -> None:
    data = await state.get_data()
    tg = event.from_user
    assert tg is not None
    lang = data.get("lang")
    applicant = svc.Applicant(
        telegram_id=tg.id,
        username=tg.username,
        first_name=tg.first_name,
        language_code=tg.language_code,
        language=lang if isinstance(lang, str) else None,
    )
    code = data.get(REF_CODE_KEY)
    try:
        result = await svc.register(
            session, rt, applicant, wallet, referral_code=code if isinstance(code, str) else None
        )
    except svc.RegistrationError as err:
        if err.code in svc.WALLET_ERRORS:  # a rule started to apply since the check (e.g. taken meanwhile)
            await _leave(state)
            await state.set_state(Registration.wallet)
            await show(event, *views.wallet_error(t, err))
        else:
            await _leave(state)
            await show(event, *views.refused(t, err))
        return
    await state.set_state(None)
    await state.set_data({})  # the referral code is used up; the chosen language is now stored on the user
    referrer = result.referrer
    text, markup = views.registered(
        t,
        result.user.wallet_address,
        result.finpass,
        display_name(referrer) if referrer is not None else None,
        result.referral_invalid,
    )
    message_id = await _show_id(event, text, markup)
    await state.update_data({PW_MSG_KEY: message_id})
    if referrer is not None:
        name = display_name(result.user)
        await notifier(rt).to_user(
            referrer, lambda tr: Content(views.notify_new_referral(tr, name)), category="new_referral"
        )


# ------------------------------------------------------------------------------------- verification
async def verify_start(
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
    status = await svc.verify_status(session, rt, user.id)
    if status.verified:
        await _leave(state)
        await query.answer(t.plain("reg.already_verified"), show_alert=True)
        return
    if status.locked_until is not None:
        await _leave(state, PW_MSG_KEY)
        await _send(query, *views.verify_locked(t, status.locked_until, clock.now()))
        return
    await _leave(state, PW_MSG_KEY)
    await state.set_state(Registration.verify_finpass)
    await _send(query, *views.verify_prompt(t, status.attempts_left))


async def reissue(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    """A new password for a user who never verified and does not have the first one."""
    if user is None:
        await _outdated(query, t)
        return
    try:
        password = await svc.reissue(session, rt, user.id)
    except svc.RegistrationError as err:
        if err.code == svc.RATE_LIMITED:
            await limited(query, t, err.params.get("wait", 60))
        else:
            await _leave(state)
            await query.answer(t.plain("reg.already_verified"), show_alert=True)
        return
    await _leave(state)
    text, markup = views.reissued(t, password)
    sent = await query.bot.send_message(query.from_user.id, text, reply_markup=markup)  # type: ignore[union-attr]
    await state.update_data({PW_MSG_KEY: sent.message_id})  # deleted once the password is typed back
    await query.answer()


async def finpass_entered(
    message: Message, state: FSMContext, rt: Runtime, session: AsyncSession, user: User | None, t: Translator
) -> None:
    typed = (message.text or "").strip()
    await delete_quietly(message)
    if user is None:
        await _stale(message, state, t)
        return
    if typed.startswith("/"):
        await show(message, *views.unexpected(t, "verify"))
        return
    if not looks_like_finpass(typed):
        await show(message, *views.verify_format(t))
        return
    result = await svc.verify(session, rt, user.id, typed)
    if result.check.outcome == CheckOutcome.WRONG:
        await show(message, *views.verify_wrong(t, result.check.attempts_left))
        return
    if result.check.outcome == CheckOutcome.LOCKED:
        await _leave(state, PW_MSG_KEY)
        await show(message, *views.verify_locked(t, result.check.locked_until, clock.now()))
        return
    password_message = (await state.get_data()).get(PW_MSG_KEY)
    await _leave(state)
    if isinstance(password_message, int) and message.bot is not None:
        with contextlib.suppress(TelegramAPIError):
            await message.bot.delete_message(message.chat.id, password_message)
    if not result.newly_verified:
        await show(message, *views.already_verified(t))
        return
    await show(message, *views.verified(t))
    referrer = result.referrer
    if referrer is not None:
        name = display_name(result.user)
        rates = list(await rt.store.get("referral.rates"))
        await notifier(rt).to_user(
            referrer,
            lambda tr: Content(views.notify_verified(tr, name, rates)),
            category="referral_verified",
        )


async def finpass_unexpected(message: Message, t: Translator) -> None:
    await delete_quietly(message)  # a caption may carry the password
    await show(message, *views.unexpected(t, "verify"))


# ----------------------------------------------------------------------------------------- contacts
async def contacts_start(query: CallbackQuery, state: FSMContext, user: User | None, t: Translator) -> None:
    if user is None:
        await _outdated(query, t)
        return
    await _leave(state)
    await state.set_state(Registration.contacts)
    await show(query, *views.contacts_prompt(t))


async def contacts_entered(
    message: Message, state: FSMContext, rt: Runtime, session: AsyncSession, user: User | None, t: Translator
) -> None:
    text = message.text or ""
    if user is None:
        await _stale(message, state, t)
        return
    if text.startswith("/"):
        await show(message, *views.unexpected(t, "contacts", views.contacts_cancel_markup(t)))
        return
    parsed = parse_contacts(text)
    if isinstance(parsed, ContactsProblem):
        await show(message, *views.contacts_error(t, parsed, views.contacts_cancel_markup(t)))
        return
    verdict = await limits.hit(rt, profile_svc.CONTACTS_LIMIT_ACTION, user.telegram_id)
    if not verdict.allowed:
        wait = t.plain("time.minutes", n=limits.wait_text_minutes(verdict.wait_seconds))
        await message.answer(t("err.action_limited", wait=wait), reply_markup=views.contacts_cancel_markup(t))
        return
    masked = await profile_svc.save_contacts(session, rt, user.id, parsed)
    await _leave(state)
    await show(message, *await _finished(rt, user, t, masked))


async def contacts_unexpected(message: Message, t: Translator) -> None:
    await show(message, *views.unexpected(t, "contacts", views.contacts_cancel_markup(t)))


async def skip(
    query: CallbackQuery, state: FSMContext, rt: Runtime, user: User | None, t: Translator
) -> None:
    if user is None:
        await _outdated(query, t)
        return
    await _leave(state)
    await show(query, *await _finished(rt, user, t, None))


async def _finished(
    rt: Runtime, user: User, t: Translator, saved: profile_svc.MaskedContacts | None
) -> views.Screen:
    rates = list(await rt.store.get("referral.rates"))
    link = profile_svc.referral_link(rt, user.referral_code)
    return views.finished(t, link, user.referral_code, rates, saved)


def build() -> Router:
    router = Router(name="registration")
    cb = router.callback_query
    cb.register(start, Reg.filter(F.action == "start"))
    cb.register(
        case_confirmed, Reg.filter(F.action == "confirm_case"), StateFilter(Registration.confirm_wallet_case)
    )
    cb.register(
        case_reenter, Reg.filter(F.action == "reenter"), StateFilter(Registration.confirm_wallet_case)
    )
    cb.register(verify_start, Reg.filter(F.action == "verify"))
    cb.register(reissue, Reg.filter(F.action == "reissue"))
    cb.register(contacts_start, Reg.filter(F.action == "contacts"))
    cb.register(skip, Reg.filter(F.action == "skip"))
    msg = router.message
    msg.register(wallet_entered, StateFilter(Registration.wallet), F.text)
    msg.register(wallet_unexpected, StateFilter(Registration.wallet))
    msg.register(case_unexpected, StateFilter(Registration.confirm_wallet_case))
    msg.register(finpass_entered, StateFilter(Registration.verify_finpass), F.text)
    msg.register(finpass_unexpected, StateFilter(Registration.verify_finpass))
    msg.register(contacts_entered, StateFilter(Registration.contacts), F.text)
    msg.register(contacts_unexpected, StateFilter(Registration.contacts))
    return router
