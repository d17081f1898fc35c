"""Payouts & DLQ desk (SPEC §5.8, §4.6.9): payouts in flight, the dead-letter queue, Retry and Resolve.

Viewing is open to every admin; Retry and Resolve need an extended admin (nonce conflicts: a super
admin, enforced by the service). Resolve-as-paid checks the named transaction on chain first.
FSM data while typing a hash: ``desk_payout``.
"""

from __future__ import annotations

import re

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.bot.admin_flow import AdmRoute
from sigmatrade.bot.callbacks import Adm
from sigmatrade.bot.flow import ack, leave_state
from sigmatrade.bot.states import DeskInput
from sigmatrade.bot.ui import show
from sigmatrade.bot.views.admin import payouts as views
from sigmatrade.bot.views.admin.panel import PanelButton
from sigmatrade.bot.views.admin.withdrawals import refusal
from sigmatrade.chain.payout_check import CHAIN_UNAVAILABLE, failing_refused, paid_by
from sigmatrade.chain.provider import RpcError
from sigmatrade.chain.runtime import active_chain
from sigmatrade.db.models import Admin
from sigmatrade.domain.enums import AdminRole
from sigmatrade.runtime import Runtime
from sigmatrade.services.admin import payouts as svc
from sigmatrade.services.admin.refusals import DeskRefusal
from sigmatrade.texts.i18n import Translator

ORDER = 31
VIEW = {"role": AdminRole.ADMIN}
ACT = {"role": AdminRole.EXTENDED_ADMIN}
PAYOUT_KEY = "desk_payout"
# The transaction is named by its explorer link: a bare 64-hex hash looks like a private key and the
# secrets guard deletes it before any handler (SPEC §11.2).
TX_LINK = re.compile(r"^https?://\S+/tx/(0x[0-9a-fA-F]{64})/?$")
PANEL = (PanelButton(order=20, sec=views.SEC, label="adm.po.btn.panel", role=AdminRole.ADMIN),)


async def show_overview(
    query: CallbackQuery, state: FSMContext, rt: Runtime, session: AsyncSession, t: Translator
) -> None:
    await leave_state(state)
    await show(query, *views.overview(t, await svc.overview(session), rt.config.explorer_base_url))
    await ack(query)


async def show_dlq(
    query: CallbackQuery, callback_data: Adm, state: FSMContext, session: AsyncSession, t: Translator
) -> None:
    await leave_state(state)
    await show(query, *views.dlq(t, await svc.dlq_page(session, callback_data.page or 1)))
    await ack(query)


async def _item_or_alert(
    query: CallbackQuery, session: AsyncSession, t: Translator, payout_id: int
) -> svc.DlqItem | None:
    item = await svc.dlq_item(session, payout_id)
    if item is None:
        await ack(query, refusal(t, svc.NOT_IN_DLQ), alert=True)
    return item


async def _resolvable_or_alert(
    query: CallbackQuery, session: AsyncSession, t: Translator, admin: Admin, payout_id: int
) -> svc.DlqItem | None:
    """The item, when ``admin`` may resolve it: refused at the first button, not after the confirmation
    or the transaction link (the service checks again)."""
    item = await _item_or_alert(query, session, t, payout_id)
    refused = svc.may_resolve(admin, item.retry) if item is not None else None
    if refused is not None:
        await ack(query, refusal(t, refused), alert=True)
        return None
    return item


async def show_item(
    query: CallbackQuery,
    callback_data: Adm,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    t: Translator,
) -> None:
    await leave_state(state)
    item = await _item_or_alert(query, session, t, callback_data.id)
    if item is None:
        return
    await show(query, *views.item(t, item, rt.config.explorer_base_url, callback_data.page or 1))
    await ack(query)


async def retry(
    query: CallbackQuery, callback_data: Adm, rt: Runtime, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    try:
        await svc.retry(session, rt, admin, callback_data.id)
    except DeskRefusal as exc:
        await ack(query, refusal(t, exc.code), alert=True)
        return
    await ack(query, t.plain("adm.po.retried", id=callback_data.id), alert=True)
    await show(query, *views.dlq(t, await svc.dlq_page(session, 1)))


async def ask_fail(
    query: CallbackQuery, callback_data: Adm, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    item = await _resolvable_or_alert(query, session, t, admin, callback_data.id)
    if item is None:
        return
    await show(query, *views.confirm_fail(t, item))
    await ack(query)


async def fail(
    query: CallbackQuery, callback_data: Adm, rt: Runtime, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    try:
        refused = await failing_refused(active_chain(rt), rt.db, callback_data.id)
    except RpcError:
        refused = CHAIN_UNAVAILABLE
    if refused is not None:
        await ack(query, refusal(t, refused), alert=True)
        return
    try:
        await svc.resolve_failed(session, rt, admin, callback_data.id)
    except DeskRefusal as exc:
        await ack(query, refusal(t, exc.code), alert=True)
        return
    await show(query, *views.resolved(t, callback_data.id, "adm.po.failed", rt.config.explorer_base_url))
    await ack(query)


async def ask_hash(
    query: CallbackQuery,
    callback_data: Adm,
    state: FSMContext,
    session: AsyncSession,
    admin: Admin,
    t: Translator,
) -> None:
    if await _resolvable_or_alert(query, session, t, admin, callback_data.id) is None:
        return
    await state.set_state(DeskInput.dlq_tx_hash)
    await state.set_data({PAYOUT_KEY: callback_data.id})
    await show(query, *views.hash_prompt(t, callback_data.id))
    await ack(query)


async def hash_typed(
    message: Message, state: FSMContext, rt: Runtime, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    found = TX_LINK.match((message.text or "").strip())
    if found is None:
        await message.answer(t.raw("adm.po.bad_hash"))
        return
    text = found.group(1).lower()
    payout_id = (await state.get_data()).get(PAYOUT_KEY)
    item = await svc.dlq_item(session, payout_id) if isinstance(payout_id, int) else None
    if item is None:
        await leave_state(state)
        await message.answer(refusal(t, svc.NOT_IN_DLQ))
        return
    chain = active_chain(rt)
    if chain is None:
        await message.answer(refusal(t, CHAIN_UNAVAILABLE))
        return
    wallets = {w for w in (item.payout.from_address, await rt.store.get("payout.wallet_address")) if w}
    try:
        transfer = await paid_by(chain, item.payout, text, wallets)
    except RpcError:
        await message.answer(refusal(t, CHAIN_UNAVAILABLE))
        return
    if transfer is None:
        await message.answer(refusal(t, svc.BAD_TX))
        return
    try:
        await svc.resolve_confirmed(session, rt, admin, item.payout.id, transfer)
    except DeskRefusal as exc:
        await message.answer(refusal(t, exc.code))
        return
    await leave_state(state)
    await show(
        message,
        *views.resolved(t, item.payout.id, "adm.po.paid", rt.config.explorer_base_url, transfer.tx_hash),
    )


def build() -> Router:
    router = Router(name="admin.payouts")
    router.message.register(hash_typed, StateFilter(DeskInput.dlq_tx_hash), flags=ACT)
    router.callback_query.register(show_overview, AdmRoute(views.SEC, ""), flags=VIEW)
    router.callback_query.register(show_dlq, AdmRoute(views.SEC, "dlq"), flags=VIEW)
    router.callback_query.register(show_item, AdmRoute(views.SEC, "item"), flags=VIEW)
    router.callback_query.register(retry, AdmRoute(views.SEC, "retry"), flags=ACT)
    router.callback_query.register(ask_fail, AdmRoute(views.SEC, "fail"), flags=ACT)
    router.callback_query.register(fail, AdmRoute(views.SEC, "failok"), flags=ACT)
    router.callback_query.register(ask_hash, AdmRoute(views.SEC, "paid"), flags=ACT)
    return router
