"""Support (SPEC §3.10, §5.6): home, new ticket (category → composer → send/discard), My ticket
(thread, add message, close) and closed-ticket history.

FSM data of a composer: ``sup_flow`` (the id carried by its Send button: stale buttons are outdated),
``sup_cat`` (new ticket) or ``sup_ticket`` (follow-up), ``sup_parts`` (JSON-safe draft parts).
"""

from __future__ import annotations

import secrets
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Sup, nav_to
from sigmatrade.bot.flow import ack as _ack
from sigmatrade.bot.flow import leave_state as _leave
from sigmatrade.bot.flow import outdated as _outdated
from sigmatrade.bot.states import Support
from sigmatrade.bot.ui import show
from sigmatrade.bot.views import support as views
from sigmatrade.db.models import User
from sigmatrade.runtime import Runtime
from sigmatrade.services import support as svc
from sigmatrade.texts.i18n import Translator

ORDER = 10  # input states: before broad handlers of other features

FLOW_KEY = "sup_flow"
CAT_KEY = "sup_cat"
TICKET_KEY = "sup_ticket"
PARTS_KEY = "sup_parts"
_COMPOSING = (Support.compose, Support.followup)
_SUPPORT_STATES = {s.state for s in (Support.category, Support.compose, Support.followup)}


def _new_flow() -> int:
    return secrets.randbelow(2**31 - 1) + 1


def _attachment(message: Message) -> dict[str, Any] | None:
    """The supported media of a message as a stored attachment (file_id kept), else None."""
    media: Any
    kind: str
    if message.photo:
        kind, media = "photo", message.photo[-1]
    elif message.video:
        kind, media = "video", message.video
    elif message.voice:
        kind, media = "voice", message.voice
    elif message.audio:
        kind, media = "audio", message.audio
    elif message.document:
        kind, media = "document", message.document
    else:
        return None
    att: dict[str, Any] = {
        "kind": kind,
        "file_id": media.file_id,
        "file_unique_id": media.file_unique_id,
        "caption": message.caption,
        "file_name": getattr(media, "file_name", None),
        "mime_type": getattr(media, "mime_type", None),
        "file_size": getattr(media, "file_size", None),
    }
    return {k: v for k, v in att.items() if v is not None}


# ------------------------------------------------------------------------------------------- home
async def _home_screen(session: AsyncSession, rt: Runtime, user: User, t: Translator) -> tuple[Any, Any]:
    active = await svc.active_ticket(session, user.id)
    if session.in_transaction():
        await session.commit()
    email = await rt.store.get("site.support_email")
    return views.home(t, active, email=email or None, tz=rt.config.tz)


async def show_home(
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
    await show(query, *await _home_screen(session, rt, user, t))
    await _ack(query)


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
    try:
        await svc.ensure_can_open(session, user)
    except svc.SupportError as err:
        await _leave(state)
        await show(query, *await _home_screen(session, rt, user, t))
        await _ack(query, views.error_text(t, err), alert=True)
        return
    await _leave(state)
    await state.set_state(Support.category)
    await show(query, *views.categories(t))
    await _ack(query)


async def choose_category(
    query: CallbackQuery, callback_data: Sup, state: FSMContext, user: User | None, t: Translator
) -> None:
    if user is None or callback_data.cat not in svc.CATEGORIES:
        await _outdated(query, t)
        return
    flow = _new_flow()
    await state.set_state(Support.compose)
    await state.update_data({FLOW_KEY: flow, CAT_KEY: callback_data.cat, PARTS_KEY: []})
    await show(query, *views.compose_prompt(t, callback_data.cat, flow))
    await _ack(query)


async def category_unexpected(message: Message, t: Translator) -> None:
    await message.answer(t("sup.category_expected"), reply_markup=views.discard_markup(t))


async def discard(
    query: CallbackQuery,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    if user is None or await state.get_state() not in _SUPPORT_STATES:
        await _outdated(query, t)
        return
    await _leave(state)
    await show(query, *await _home_screen(session, rt, user, t))
    await _ack(query, t.plain("sup.discarded"))


# --------------------------------------------------------------------------------------- composer
async def part_received(
    message: Message, state: FSMContext, rt: Runtime, user: User | None, t: Translator
) -> None:
    data = await state.get_data()
    flow = data.get(FLOW_KEY)
    draft = data.get(PARTS_KEY)
    if user is None or not isinstance(flow, int) or not isinstance(draft, list):
        await _leave(state)
        await message.answer(t("err.unknown_command"), reply_markup=kb.menu_only(t))
        return
    if message.text is not None and message.text.startswith("/"):
        await message.answer(t("sup.command"), reply_markup=views.composer_markup(t, flow))
        return
    if message.text is not None:
        part: svc.Part = {"text": message.text, "att": None}
    else:
        att = _attachment(message)
        if att is None:
            await message.answer(t("sup.unsupported"), reply_markup=views.composer_markup(t, flow))
            return
        part = {"text": None, "att": att}
    try:
        draft = await svc.add_part(rt, user.telegram_id, draft, part)
    except svc.SupportError as err:
        await message.answer(
            views.error_text(t, err), parse_mode=None, reply_markup=views.composer_markup(t, flow)
        )
        return
    await state.update_data({PARTS_KEY: draft})
    await show(message, *views.part_added(t, draft, flow))


async def send(
    query: CallbackQuery,
    callback_data: Sup,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    data = await state.get_data()
    current = await state.get_state()
    draft = data.get(PARTS_KEY)
    if user is None or data.get(FLOW_KEY) != callback_data.id or not isinstance(draft, list):
        await _outdated(query, t)
        return
    try:
        if current == Support.compose.state:
            sent = await svc.create(session, rt, user, str(data.get(CAT_KEY)), draft)
            screen = views.created(t, sent)
        else:
            ticket_id = data.get(TICKET_KEY)
            sent = await svc.follow_up(session, rt, user, int(ticket_id or 0), draft)
            screen = views.followup_sent(t, sent.ticket.id)
    except svc.SupportError as err:
        if err.code not in (svc.EMPTY, svc.RATE_LIMITED):
            await _leave(state)  # the draft cannot be sent any more
        await _ack(query, views.error_text(t, err), alert=True)
        return
    await _leave(state)
    await show(query, *screen)
    await _ack(query)


# -------------------------------------------------------------------------------- my ticket, history
async def view_ticket(
    query: CallbackQuery,
    callback_data: Sup,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    found = await svc.thread(session, user.id, callback_data.id) if user is not None else None
    if session.in_transaction():
        await session.commit()
    if found is None:
        await _outdated(query, t)
        return
    await _leave(state)
    await show(query, *views.thread(t, found, tz=rt.config.tz, back_page=callback_data.page))
    await _ack(query)


async def add_message(
    query: CallbackQuery,
    callback_data: Sup,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    ticket = await svc.own_ticket(session, user.id, callback_data.id) if user is not None else None
    if session.in_transaction():
        await session.commit()
    if ticket is None:
        await _outdated(query, t)
        return
    if ticket.status not in svc.ACTIVE:
        await _ack(
            query, views.error_text(t, svc.SupportError(svc.NOT_ACTIVE, ticket_id=ticket.id)), alert=True
        )
        return
    flow = _new_flow()
    await _leave(state)
    await state.set_state(Support.followup)
    await state.update_data({FLOW_KEY: flow, TICKET_KEY: ticket.id, PARTS_KEY: []})
    await show(query, *views.followup_prompt(t, ticket.id, flow))
    await _ack(query)


async def close_ticket(
    query: CallbackQuery,
    callback_data: Sup,
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
        ticket = await svc.close(session, user, callback_data.id)
    except svc.SupportError as err:
        if err.code == svc.NOT_FOUND:
            await _outdated(query, t)
        else:
            await _ack(query, views.error_text(t, err), alert=True)
        return
    await _leave(state)
    await show(query, *await _home_screen(session, rt, user, t))
    await _ack(query, t.plain("sup.closed", id=ticket.id))


async def history(
    query: CallbackQuery,
    callback_data: Sup,
    state: FSMContext,
    rt: Runtime,
    session: AsyncSession,
    user: User | None,
    t: Translator,
) -> None:
    if user is None:
        await _outdated(query, t)
        return
    await _leave(state)
    page = await svc.history_page(session, user.id, callback_data.page)
    if session.in_transaction():
        await session.commit()
    await show(query, *views.history(t, page, tz=rt.config.tz))
    await _ack(query)


def build() -> Router:
    router = Router(name="support")
    cb = router.callback_query
    cb.register(show_home, nav_to("support"))
    cb.register(show_home, Sup.filter(F.action == "home"))
    cb.register(start_new, Sup.filter(F.action == "new"))
    cb.register(choose_category, Sup.filter(F.action == "cat"), StateFilter(Support.category))
    cb.register(discard, Sup.filter(F.action == "discard"))
    cb.register(send, Sup.filter(F.action == "send"), StateFilter(*_COMPOSING))
    cb.register(view_ticket, Sup.filter(F.action == "view"))
    cb.register(add_message, Sup.filter(F.action == "add"))
    cb.register(close_ticket, Sup.filter(F.action == "close"))
    cb.register(history, Sup.filter(F.action == "history"))
    msg = router.message
    msg.register(category_unexpected, StateFilter(Support.category))
    msg.register(part_received, StateFilter(*_COMPOSING))
    return router
