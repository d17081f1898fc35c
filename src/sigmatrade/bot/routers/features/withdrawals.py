"""Withdraw screen and the request flow (SPEC §3.7, §5.6): amount → summary → finpass → created;
My payouts with user cancel.

FSM data of a flow: ``wd_flow`` (the flow id; the payout's idempotency key derives from it),
``wd_amount`` and ``wd_fee`` (canonical decimal strings: the terms the user saw on the summary).
The finpass never enters FSM data; its message is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Wd, nav_to
from sigmatrade.bot.flow import leave_state as _leave
from sigmatrade.bot.flow import outdated as _outdated
from sigmatrade.bot.states import Withdrawal
from sigmatrade.bot.ui import delete_quietly, show
from sigmatrade.bot.views import withdrawals as views
from sigmatrade.db.models import User
from sigmatrade.domain.money import MoneyError, canonical, to_decimal
from sigmatrade.runtime import Runtime
from sigmatrade.services import withdrawals as svc
from sigmatrade.services.finpass import CheckOutcome
from sigmatrade.services.notifications import Content, notifier
from sigmatrade.texts.i18n import Translator

ORDER = 10  # input states: before broad handlers of other features

FLOW_KEY = "wd_flow"
AMOUNT_KEY = "wd_amount"
FEE_KEY = "wd_fee"


@dataclass(frozen=True)
class _Flow:
    id: int
    terms: tuple[Decimal, Decimal] | None  # (amount, fee) shown on the summary


async def _flow(state: FSMContext) -> _Flow | None:
    """The current flow, or None when its FSM data is missing or garbled."""
    data = await state.get_data()
    flow = data.get(FLOW_KEY)
    if not isinstance(flow, int) or isinstance(flow, bool):
        return None
    if data.get(AMOUNT_KEY) is None or data.get(FEE_KEY) is None:
        return _Flow(flow, None)
    try:
        return _Flow(flow, (to_decimal(data[AMOUNT_KEY]), to_decimal(data[FEE_KEY])))
    except MoneyError:
        return None


def _terms(proposal: svc.Proposal) -> dict[str, str]:
    return {AMOUNT_KEY: canonical(proposal.quote.amount), FEE_KEY: canonical(proposal.quote.fee)}


# ------------------------------------------------------------------------------------ withdraw screen
async def show_home(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    """Nav → withdraw, and Cancel inside the flow: leave the state, show the Withdraw screen."""
    await _leave(state)
    if user is None:
        await _outdated(query, t)
        return
    if not user.is_verified:
        await show(query, *views.verify_first(t))
        return
    await show(query, *views.home(t, await svc.overview(session, rt, user)))


async def start_new(
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
    if not user.is_verified:
        await _leave(state)
        await show(query, *views.verify_first(t))
        return
    try:
        context = await svc.begin(session, rt, user)
    except svc.WithdrawalError as err:
        await query.answer(views.alert_text(t, err), show_alert=True)
        return
    await _leave(state)
    await state.set_state(Withdrawal.amount)
    await state.update_data({FLOW_KEY: svc.new_flow_id()})
    await show(query, *views.amount_prompt(t, context))


async def start_all(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    """Withdraw all: the available balance rounded down to 0.01 goes straight to the summary."""
    if user is None:
        await _outdated(query, t)
        return
    if not user.is_verified:
        await _leave(state)
        await show(query, *views.verify_first(t))
        return
    try:
        proposal = await svc.withdraw_all(session, rt, user)
    except svc.WithdrawalError as err:
        await query.answer(views.alert_text(t, err), show_alert=True)
        return
    flow = svc.new_flow_id()
    await _leave(state)
    await state.set_state(Withdrawal.confirm)
    await state.update_data({FLOW_KEY: flow, **_terms(proposal)})
    await show(query, *_summary(t, proposal, user, flow))


def _summary(t: Translator, proposal: svc.Proposal, user: User, flow: int) -> views.Screen:
    return views.summary(
        t,
        proposal.quote,
        fee_percent=proposal.rules.fee_percent,
        wallet=user.wallet_address,
        approval=proposal.approval,
        flow_id=flow,
    )


# ------------------------------------------------------------------------------------------- amount
async def amount_entered(
    message: Message,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    text = message.text or ""
    current = await _flow(state)
    if user is None or current is None:
        await _leave(state)
        await message.answer(t("err.unknown_command"), reply_markup=kb.menu_only(t))
        return
    if text.startswith("/"):
        await message.answer(t("wd.unexpected.amount"), reply_markup=views.cancel_markup(t))
        return
    try:
        proposal = await svc.check_amount(session, rt, user, text)
    except svc.WithdrawalError as err:
        if views.is_amount_error(err):
            await show(message, *views.amount_error(t, err))
        else:
            await _leave(state)
            await show(message, *views.refused(t, err))
        return
    await state.update_data(_terms(proposal))
    await state.set_state(Withdrawal.confirm)
    await show(message, *_summary(t, proposal, user, current.id))


async def amount_unexpected(message: Message, t: Translator) -> None:
    await message.answer(t("wd.unexpected.amount"), reply_markup=views.cancel_markup(t))


# ------------------------------------------------------------------------------------------ summary
async def confirm_unexpected(message: Message, t: Translator) -> None:
    await message.answer(t("wd.unexpected.confirm"), reply_markup=views.cancel_markup(t))


async def confirm(
    query: CallbackQuery,
    callback_data: Wd,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    """Summary confirmed: re-check the amount and the lockout, then ask for the finpass."""
    current = await _flow(state)
    if user is None or current is None or current.terms is None or current.id != callback_data.id:
        await _outdated(query, t)
        return
    amount, fee = current.terms
    try:
        attempts = await svc.prepare_finpass(session, rt, user, amount, fee)
    except svc.WithdrawalError as err:
        await _leave(state)
        if err.code == svc.LOCKED:
            await show(query, *views.finpass_locked(t, err.params.get("until"), clock.now()))
        else:
            await show(query, *views.refused(t, err))
        return
    await state.set_state(Withdrawal.finpass)
    await show(query, *views.finpass_prompt(t, amount, attempts))


# ------------------------------------------------------------------------------------------ finpass
async def finpass_entered(
    message: Message,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    typed = message.text or ""
    await delete_quietly(message)
    if typed.startswith("/"):
        await message.answer(t("wd.unexpected.finpass"), reply_markup=views.cancel_markup(t))
        return
    current = await _flow(state)
    if user is None or current is None or current.terms is None:
        await _leave(state)
        await message.answer(t("err.unknown_command"), reply_markup=kb.menu_only(t))
        return
    amount, fee = current.terms
    try:
        result = await svc.submit(session, rt, user, flow_id=current.id, amount=amount, fee=fee, typed=typed)
    except svc.WithdrawalError as err:
        await _leave(state)
        await show(message, *views.refused(t, err))
        return
    if result.check.outcome == CheckOutcome.WRONG:
        await show(message, *views.finpass_wrong(t, result.check.attempts_left))
        return
    await _leave(state)
    if result.check.outcome == CheckOutcome.LOCKED or result.payout is None:
        await show(message, *views.finpass_locked(t, result.check.locked_until, clock.now()))
        return
    text, markup = views.created(t, result.payout)
    if result.created:
        # The "request received" notification (§3.7.3): delivered (or queued for retry) after commit.
        await notifier(rt).send(
            user.telegram_id,
            Content(text, reply_markup=markup),
            category="withdrawal_requested",
            user_id=user.id,
        )
    else:
        await show(message, text, markup)


async def finpass_unexpected(message: Message, t: Translator) -> None:
    await delete_quietly(message)  # a caption may carry the password too
    await message.answer(t("wd.unexpected.finpass"), reply_markup=views.cancel_markup(t))


# -------------------------------------------------------------------------------------- my payouts
async def list_payouts(
    query: CallbackQuery,
    callback_data: Wd,
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
    page = await svc.payouts_page(session, user.id, callback_data.page)
    await show(query, *views.payouts_list(t, page, explorer=rt.config.explorer_base_url, tz=rt.config.tz))


async def cancel_ask(
    query: CallbackQuery,
    callback_data: Wd,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    payout = await svc.own_payout(session, user.id, callback_data.id) if user is not None else None
    if payout is None:  # missing or another user's: the same answer, nothing changes
        await _outdated(query, t)
        return
    if not views.user_cancellable(payout):
        err = svc.WithdrawalError(svc.NOT_CANCELLABLE, status=payout.status, payout_id=payout.id)
        await query.answer(views.alert_text(t, err), show_alert=True)
        return
    await _leave(state)
    await show(query, *views.cancel_confirm(t, payout, callback_data.page))


async def cancel_do(
    query: CallbackQuery,
    callback_data: Wd,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    if user is None:
        await _outdated(query, t)
        return
    try:
        payout, available = await svc.cancel(session, rt, user, callback_data.id)
    except svc.WithdrawalError as err:
        if err.code == svc.NOT_FOUND:
            await _outdated(query, t)
        else:
            await query.answer(views.alert_text(t, err), show_alert=True)
        return
    await _leave(state)
    await show(query, *views.cancelled(t, payout, available, callback_data.page))


def build() -> Router:
    router = Router(name="withdrawals")
    cb = router.callback_query
    cb.register(show_home, nav_to("withdraw"))
    cb.register(show_home, Wd.filter(F.action == "abort"))
    cb.register(start_new, Wd.filter(F.action == "new"))
    cb.register(start_all, Wd.filter(F.action == "all"))
    cb.register(confirm, Wd.filter(F.action == "confirm"), StateFilter(Withdrawal.confirm))
    cb.register(list_payouts, Wd.filter(F.action == "list"))
    cb.register(cancel_ask, Wd.filter(F.action == "cancel"))
    cb.register(cancel_do, Wd.filter(F.action == "cancel_ok"))
    msg = router.message
    msg.register(amount_entered, StateFilter(Withdrawal.amount), F.text)
    msg.register(amount_unexpected, StateFilter(Withdrawal.amount))
    msg.register(confirm_unexpected, StateFilter(Withdrawal.confirm))
    msg.register(finpass_entered, StateFilter(Withdrawal.finpass), F.text)
    msg.register(finpass_unexpected, StateFilter(Withdrawal.finpass))
    return router
