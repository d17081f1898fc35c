"""Users screen and user card (SPEC §5.8 "Users", §3.9.3, §3.12): search, recent registrations, card,
ban/unban (confirm), unblock earnings, show contacts (extended+), adjust balance and change wallet
(super; confirm), the user's ledger, deposits and payouts.

FSM data (JSON-safe): ``adm_ban_user``/``adm_ban_reason``; ``adm_adj_user``/``adm_adj_amount`` (string)/
``adm_adj_reason``/``adm_adj_token`` (names the confirmation: one posting however often it is pressed);
``adm_wal_user``/``adm_wal_new``.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.bot.admin_flow import AdmRoute
from sigmatrade.bot.callbacks import Adm
from sigmatrade.bot.flow import ack, leave_state, outdated
from sigmatrade.bot.states import AdminUsers
from sigmatrade.bot.ui import show
from sigmatrade.bot.views.admin import users as views
from sigmatrade.bot.views.admin.panel import PanelButton
from sigmatrade.db.models import Admin, User
from sigmatrade.domain.enums import AdminRole
from sigmatrade.domain.money import parse_user_amount
from sigmatrade.runtime import Runtime
from sigmatrade.services import profile, registration
from sigmatrade.services.admin import user_actions as actions
from sigmatrade.services.admin import users as svc
from sigmatrade.services.admin.user_actions import UserActionError
from sigmatrade.services.notifications import Content, notifier
from sigmatrade.services.registration import RegistrationError
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe

ORDER = 30
ANY = {"role": AdminRole.ADMIN}
EXTENDED = {"role": AdminRole.EXTENDED_ADMIN}
SUPER = {"role": AdminRole.SUPER_ADMIN}
PANEL = (PanelButton(60, views.SEC, "adm.btn.users", AdminRole.ADMIN),)
SEC = views.SEC


async def _card(
    event: Message | CallbackQuery,
    rt: Runtime,
    session: AsyncSession,
    admin: Admin,
    t: Translator,
    user_id: int,
    note: Safe | None = None,
) -> bool:
    data = await svc.card(session, user_id)
    if data is None:
        return False
    masked = profile.mask(profile.read_contacts(rt, data.user))
    await show(event, *views.card(t, data, masked, admin.role, rt.config.tz, note=note))
    return True


def _text(message: Message) -> str | None:
    text = message.text
    return None if text is None or text.startswith("/") else text


# --------------------------------------------------------------------------------- search / recent
async def open_search(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await leave_state(state)
    await state.set_state(AdminUsers.search)
    await show(query, *views.search_prompt(t))
    await ack(query)


async def search_entered(message: Message, session: AsyncSession, t: Translator) -> None:
    text = _text(message)
    if text is None:
        await show(message, *views.search_prompt(t))
        return
    found = await svc.search(session, text)
    await show(message, *views.results(t, text.strip(), found))


async def show_recent(
    query: CallbackQuery, callback_data: Adm, state: FSMContext, session: AsyncSession, t: Translator
) -> None:
    await leave_state(state)
    await show(query, *views.recent(t, await svc.recent(session, callback_data.page or 1)))
    await ack(query)


async def show_card(
    query: CallbackQuery,
    callback_data: Adm,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    admin: Admin,
    t: Translator,
) -> None:
    await leave_state(state)
    if not await _card(query, rt, session, admin, t, callback_data.id):
        await outdated(query, t)
        return
    await ack(query)


# --------------------------------------------------------------------------------------- ban / unban
async def _user(session: AsyncSession, user_id: int) -> User | None:
    data = await svc.card(session, user_id)
    return data.user if data is not None else None


async def ban_start(
    query: CallbackQuery, callback_data: Adm, state: FSMContext, session: AsyncSession, t: Translator
) -> None:
    user = await _user(session, callback_data.id)
    if user is None:
        await outdated(query, t)
        return
    data = await state.get_data()
    reason = data.get("adm_ban_reason") if data.get("adm_ban_user") == user.id else None
    await leave_state(state, "adm_ban_user", "adm_ban_reason")
    screen = views.confirm_unban(t, user) if user.is_banned else views.confirm_ban(t, user, reason)
    await show(query, *screen)
    await ack(query)


async def ban_reason_start(
    query: CallbackQuery, callback_data: Adm, state: FSMContext, t: Translator
) -> None:
    await state.set_state(AdminUsers.ban_reason)
    await state.update_data({"adm_ban_user": callback_data.id, "adm_ban_reason": None})
    await show(query, *views.ban_reason_prompt(t, callback_data.id))
    await ack(query)


async def ban_reason_entered(
    message: Message, state: FSMContext, session: AsyncSession, t: Translator
) -> None:
    data = await state.get_data()
    user_id = data.get("adm_ban_user")
    text = _text(message)
    if not isinstance(user_id, int) or text is None:
        await message.answer(t("adm.users.text_expected"))
        return
    reason = actions.clean_reason(text)
    user = await _user(session, user_id)
    if user is None:
        await leave_state(state)
        await message.answer(views.error(t, "not_found"))
        return
    await state.update_data({"adm_ban_reason": reason})
    await leave_state(state, "adm_ban_user", "adm_ban_reason")
    await show(message, *views.confirm_ban(t, user, reason))


async def ban_confirmed(
    query: CallbackQuery,
    callback_data: Adm,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    admin: Admin,
    t: Translator,
) -> None:
    banned = callback_data.act == "ban_ok"
    data = await state.get_data()
    reason = data.get("adm_ban_reason") if data.get("adm_ban_user") == callback_data.id else None
    try:
        await actions.set_banned(
            session, admin, callback_data.id, banned, reason if isinstance(reason, str) else None
        )
    except UserActionError as err:
        await ack(query, views.error(t, err.code), alert=True)
        return
    await leave_state(state)
    note = t("adm.users.banned" if banned else "adm.users.unbanned")
    await _card(query, rt, session, admin, t, callback_data.id, note)
    await ack(query)


async def unblock(
    query: CallbackQuery, callback_data: Adm, rt: Runtime, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    try:
        await actions.unblock_earnings(session, admin, callback_data.id)
    except UserActionError as err:
        await ack(query, views.error(t, err.code), alert=True)
        return
    await _card(query, rt, session, admin, t, callback_data.id, t("adm.users.unblocked"))
    await ack(query)


async def show_contacts(
    query: CallbackQuery, callback_data: Adm, rt: Runtime, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    try:
        found = await actions.show_contacts(session, rt, admin, callback_data.id)
    except UserActionError:
        await outdated(query, t)
        return
    await show(query, *views.contacts(t, callback_data.id, found))
    await ack(query)


# ------------------------------------------------------------------------------------ adjust balance
async def adjust_start(
    query: CallbackQuery, callback_data: Adm, state: FSMContext, session: AsyncSession, t: Translator
) -> None:
    data = await svc.card(session, callback_data.id)
    if data is None:
        await outdated(query, t)
        return
    await leave_state(state)
    await state.set_state(AdminUsers.adjust_amount)
    await state.update_data({"adm_adj_user": data.user.id})
    await show(query, *views.adjust_prompt(t, data.user.id, data.balances.available))
    await ack(query)


def parse_signed_amount(text: str) -> Decimal | None:
    raw = text.strip()
    if len(raw) < 2 or raw[0] not in "+-":
        return None
    amount = parse_user_amount(raw[1:])
    if amount is None or amount == 0:
        return None
    return amount if raw[0] == "+" else -amount


async def adjust_amount_entered(message: Message, state: FSMContext, t: Translator) -> None:
    user_id = (await state.get_data()).get("adm_adj_user")
    amount = parse_signed_amount(_text(message) or "")
    if not isinstance(user_id, int) or amount is None or abs(amount) > actions.MAX_ADJUSTMENT:
        await message.answer(
            t("adm.users.adjust_bad_amount"),
            reply_markup=views._markup([views.cancel_to_card(t, user_id if isinstance(user_id, int) else 0)]),
        )
        return
    await state.set_state(AdminUsers.adjust_reason)
    await state.update_data({"adm_adj_amount": str(amount)})
    await show(message, *views.prompt(t, "adm.users.adjust_reason_prompt", user_id))


async def adjust_reason_entered(
    message: Message, state: FSMContext, session: AsyncSession, t: Translator
) -> None:
    data = await state.get_data()
    user_id, amount = data.get("adm_adj_user"), data.get("adm_adj_amount")
    reason = actions.clean_reason(_text(message))
    if not isinstance(user_id, int) or not isinstance(amount, str):
        await leave_state(state)
        await message.answer(views.error(t, "not_found"))
        return
    if reason is None:
        await show(message, *views.prompt(t, "adm.users.adjust_reason_prompt", user_id))
        return
    card = await svc.card(session, user_id)
    if card is None:
        await leave_state(state)
        await message.answer(views.error(t, "not_found"))
        return
    await state.set_state(AdminUsers.adjust_confirm)
    await state.update_data({"adm_adj_reason": reason, "adm_adj_token": secrets.token_hex(8)})
    await show(message, *views.adjust_confirm(t, card.user, Decimal(amount), reason, card.balances.available))


async def adjust_confirmed(
    query: CallbackQuery,
    callback_data: Adm,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    admin: Admin,
    t: Translator,
) -> None:
    data = await state.get_data()
    user_id, amount, reason, token = (
        data.get(k) for k in ("adm_adj_user", "adm_adj_amount", "adm_adj_reason", "adm_adj_token")
    )
    if user_id != callback_data.id or not all(isinstance(v, str) for v in (amount, reason, token)):
        await outdated(query, t)
        return
    assert isinstance(amount, str) and isinstance(reason, str) and isinstance(token, str)
    try:
        done = await actions.adjust(session, admin, callback_data.id, Decimal(amount), reason, token)
    except UserActionError as err:
        await ack(query, views.error(t, err.code, **err.params), alert=True)
        return
    await leave_state(state)
    note = t(
        "adm.users.adjusted",
        before=views.money(t, done.available_before),
        after=views.money(t, done.available_after),
    )
    await _card(query, rt, session, admin, t, callback_data.id, note)
    await ack(query)
    if done.created:
        await _notify_adjustment(rt, done.user, done.amount, reason)


async def _notify_adjustment(rt: Runtime, user: User, amount: Decimal, reason: str) -> None:
    def build(t: Translator) -> Content:
        key = "adm.users.notify.credit" if amount > 0 else "adm.users.notify.debit"
        return Content(t(key, amount=views.money(t, abs(amount)), reason=reason))

    await notifier(rt).to_user(user, build, category="balance_adjustment")


# ------------------------------------------------------------------------------------- change wallet
async def wallet_start(
    query: CallbackQuery, callback_data: Adm, state: FSMContext, session: AsyncSession, t: Translator
) -> None:
    user = await _user(session, callback_data.id)
    if user is None:
        await outdated(query, t)
        return
    await leave_state(state)
    await state.set_state(AdminUsers.wallet)
    await state.update_data({"adm_wal_user": user.id})
    await show(query, *views.prompt(t, "adm.users.wallet_prompt", user.id, wallet=user.wallet_address))
    await ack(query)


async def wallet_entered(
    message: Message, state: FSMContext, rt: Runtime, session: AsyncSession, t: Translator
) -> None:
    user_id = (await state.get_data()).get("adm_wal_user")
    text = _text(message)
    if not isinstance(user_id, int) or text is None:
        await message.answer(t("adm.users.text_expected"))
        return
    try:
        parsed = registration.parse_wallet(text, rt.config.usdt_contract_address)
    except RegistrationError as err:
        await show(message, *views.prompt(t, f"adm.users.err.wallet_{err.code}", user_id))
        return
    user = await _user(session, user_id)
    if user is None:
        await leave_state(state)
        await message.answer(views.error(t, "not_found"))
        return
    await state.set_state(AdminUsers.wallet_confirm)
    await state.update_data({"adm_wal_new": parsed.checksum})
    await show(message, *views.wallet_confirm(t, user, parsed.checksum))


async def wallet_confirmed(
    query: CallbackQuery,
    callback_data: Adm,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    admin: Admin,
    t: Translator,
) -> None:
    data = await state.get_data()
    new = data.get("adm_wal_new")
    if data.get("adm_wal_user") != callback_data.id or not isinstance(new, str):
        await outdated(query, t)
        return
    try:
        user, _old = await actions.change_wallet(session, rt, admin, callback_data.id, new)
    except UserActionError as err:
        await ack(query, views.error(t, err.code, **err.params), alert=True)
        return
    await leave_state(state)
    await _card(query, rt, session, admin, t, callback_data.id, t("adm.users.wallet_changed"))
    await ack(query)

    def build(tr: Translator) -> Content:
        return Content(tr("adm.users.notify.wallet", wallet=user.wallet_address))

    await notifier(rt).to_user(user, build, category="wallet_changed")


# --------------------------------------------------------------------------------------- user pages
async def show_page(
    query: CallbackQuery, callback_data: Adm, rt: Runtime, session: AsyncSession, t: Translator
) -> None:
    if await svc.card(session, callback_data.id) is None:
        await outdated(query, t)
        return
    page = callback_data.page or 1
    tz = rt.config.tz
    screen: Any
    if callback_data.act == "ledger":
        screen = views.ledger(t, callback_data.id, await svc.ledger(session, callback_data.id, page), tz)
    elif callback_data.act == "deps":
        screen = views.deposits(t, callback_data.id, await svc.deposits(session, callback_data.id, page), tz)
    else:
        screen = views.payouts(t, callback_data.id, await svc.payouts(session, callback_data.id, page), tz)
    await show(query, *screen)
    await ack(query)


def build() -> Router:
    router = Router(name="admin.users")
    msg, cb = router.message, router.callback_query
    msg.register(search_entered, StateFilter(AdminUsers.search), flags=ANY)
    msg.register(ban_reason_entered, StateFilter(AdminUsers.ban_reason), flags=ANY)
    msg.register(adjust_amount_entered, StateFilter(AdminUsers.adjust_amount), flags=SUPER)
    msg.register(adjust_reason_entered, StateFilter(AdminUsers.adjust_reason), flags=SUPER)
    msg.register(wallet_entered, StateFilter(AdminUsers.wallet), flags=SUPER)
    cb.register(open_search, AdmRoute(SEC, ""), flags=ANY)
    cb.register(show_recent, AdmRoute(SEC, "recent"), flags=ANY)
    cb.register(show_card, AdmRoute(SEC, "card"), flags=ANY)
    cb.register(ban_start, AdmRoute(SEC, "ban", "unban"), flags=ANY)
    cb.register(ban_reason_start, AdmRoute(SEC, "ban_reason"), flags=ANY)
    cb.register(ban_confirmed, AdmRoute(SEC, "ban_ok", "unban_ok"), flags=ANY)
    cb.register(unblock, AdmRoute(SEC, "unblock"), flags=ANY)
    cb.register(show_contacts, AdmRoute(SEC, "contacts"), flags=EXTENDED)
    cb.register(adjust_start, AdmRoute(SEC, "adjust"), flags=SUPER)
    cb.register(
        adjust_confirmed, AdmRoute(SEC, "adjust_ok"), StateFilter(AdminUsers.adjust_confirm), flags=SUPER
    )
    cb.register(wallet_start, AdmRoute(SEC, "wallet"), flags=SUPER)
    cb.register(
        wallet_confirmed, AdmRoute(SEC, "wallet_ok"), StateFilter(AdminUsers.wallet_confirm), flags=SUPER
    )
    cb.register(show_page, AdmRoute(SEC, "ledger", "deps", "pays"), flags=ANY)
    return router
