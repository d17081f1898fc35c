"""Reward sessions screens (SPEC §5.8, §5.9): list and view for every admin; create (wizard: name →
start → end → five rates → summary), activate/deactivate, delete (confirm; refused with accruals) and
recalculate for super admins. Input is parsed by ``domain.reward_sessions``; each action is one call
of ``services.rewards.sessions``, which owns the transaction, the overlap check and the audit.

FSM data: ``adm_rs_name``, ``adm_rs_start``/``adm_rs_end`` (UTC ISO), ``adm_rs_rates`` (decimal
strings). Create is a button of the summary state: pressed twice, the second press finds no state
(outdated) or, racing, the overlap check refuses the copy.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from sigmatrade import clock
from sigmatrade.bot.admin_flow import AdmRoute
from sigmatrade.bot.callbacks import Adm
from sigmatrade.bot.flow import ack, leave_state, outdated
from sigmatrade.bot.states import AdminRewards
from sigmatrade.bot.ui import show
from sigmatrade.bot.views.admin import rewards as views
from sigmatrade.bot.views.admin.panel import PanelButton
from sigmatrade.db.models import Admin
from sigmatrade.domain.enums import AdminRole
from sigmatrade.domain.reward_sessions import (
    SessionDraft,
    SessionInputError,
    check_draft,
    check_name,
    parse_moment,
    parse_rates,
)
from sigmatrade.runtime import Runtime
from sigmatrade.services.admin.access import actor
from sigmatrade.services.rewards import sessions as svc
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe, join

ORDER = 45
ANY = {"role": AdminRole.ADMIN}
SUPER = {"role": AdminRole.SUPER_ADMIN}
PANEL = (PanelButton(50, views.SEC, "adm.btn.rewards", AdminRole.ADMIN),)
SEC = views.SEC
NAME, START, END, RATES = "adm_rs_name", "adm_rs_start", "adm_rs_end", "adm_rs_rates"


def _text(message: Message) -> str | None:
    text = message.text
    return None if text is None or text.startswith("/") else text


async def _listing(
    event: Message | CallbackQuery,
    rt: Runtime,
    admin: Admin,
    t: Translator,
    page: int,
    note: Safe | None = None,
) -> None:
    data = await svc.listing(rt.db, page, clock.now())
    await show(event, *views.listing(t, data, admin.role, rt.config.tz, note=note))


async def _view(
    event: Message | CallbackQuery,
    rt: Runtime,
    admin: Admin,
    t: Translator,
    session_id: int,
    note: Safe | None = None,
) -> bool:
    row = await svc.get(rt.db, session_id)
    if row is None:
        return False
    stats = await svc.stats(rt.db, session_id)
    await show(event, *views.view(t, row, stats, admin.role, rt.config.tz, clock.now(), note=note))
    return True


# ---------------------------------------------------------------------------------------- list / view
async def show_list(
    query: CallbackQuery, callback_data: Adm, state: FSMContext, rt: Runtime, admin: Admin, t: Translator
) -> None:
    await leave_state(state)
    await _listing(query, rt, admin, t, callback_data.page or 1)
    await ack(query)


async def show_view(
    query: CallbackQuery, callback_data: Adm, state: FSMContext, rt: Runtime, admin: Admin, t: Translator
) -> None:
    await leave_state(state)
    if not await _view(query, rt, admin, t, callback_data.id):
        await outdated(query, t)
        return
    await ack(query)


# --------------------------------------------------------------------------------------------- create
async def create_start(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await leave_state(state)
    await state.set_state(AdminRewards.name)
    await show(query, *views.prompt(t, "adm.rs.ask_name"))
    await ack(query)


async def name_entered(message: Message, state: FSMContext, t: Translator) -> None:
    try:
        name = check_name(_text(message) or "")
    except SessionInputError as err:
        await show(message, *views.prompt(t, "adm.rs.ask_name", error=err.code))
        return
    await state.update_data({NAME: name})
    await state.set_state(AdminRewards.starts)
    await show(message, *views.prompt(t, "adm.rs.ask_start"))


async def start_entered(message: Message, state: FSMContext, rt: Runtime, t: Translator) -> None:
    try:
        starts_at = parse_moment(_text(message) or "", rt.config.tz)
    except SessionInputError as err:
        await show(message, *views.prompt(t, "adm.rs.ask_start", error=err.code))
        return
    await state.update_data({START: starts_at.isoformat()})
    await state.set_state(AdminRewards.ends)
    await show(message, *views.prompt(t, "adm.rs.ask_end"))


async def end_entered(message: Message, state: FSMContext, rt: Runtime, t: Translator) -> None:
    raw_start = (await state.get_data()).get(START)
    if not isinstance(raw_start, str):
        await leave_state(state)
        await show(message, *views.prompt(t, "adm.rs.ask_name", error="expired"))
        await state.set_state(AdminRewards.name)
        return
    try:
        ends_at = parse_moment(_text(message) or "", rt.config.tz)
        if ends_at <= datetime.fromisoformat(raw_start):
            raise SessionInputError("window_order")
    except SessionInputError as err:
        await show(message, *views.prompt(t, "adm.rs.ask_end", error=err.code))
        return
    await state.update_data({END: ends_at.isoformat()})
    await state.set_state(AdminRewards.rates)
    await show(message, *views.prompt(t, "adm.rs.ask_rates"))


def _draft(data: dict[str, object]) -> SessionDraft | None:
    """The wizard's answers as a checked draft; None when they are missing (state data lost)."""
    name, start, end, rates = (data.get(k) for k in (NAME, START, END, RATES))
    if not (isinstance(name, str) and isinstance(start, str) and isinstance(end, str)):
        return None
    if not (isinstance(rates, list) and all(isinstance(r, str) for r in rates)):
        return None
    try:
        return check_draft(
            name, datetime.fromisoformat(start), datetime.fromisoformat(end), tuple(Decimal(r) for r in rates)
        )
    except (SessionInputError, ValueError, ArithmeticError):
        return None


async def rates_entered(message: Message, state: FSMContext, rt: Runtime, t: Translator) -> None:
    try:
        rates = parse_rates(_text(message) or "")
    except SessionInputError as err:
        await show(message, *views.prompt(t, "adm.rs.ask_rates", error=err.code))
        return
    await state.update_data({RATES: [str(r) for r in rates]})
    draft = _draft(await state.get_data())
    if draft is None:
        await leave_state(state)
        await state.set_state(AdminRewards.name)
        await show(message, *views.prompt(t, "adm.rs.ask_name", error="expired"))
        return
    await state.set_state(AdminRewards.confirm)
    await show(
        message,
        *views.summary(t, draft.name, draft.starts_at, draft.ends_at, list(draft.rates), rt.config.tz),
    )


async def create_confirmed(
    query: CallbackQuery, state: FSMContext, rt: Runtime, admin: Admin, t: Translator
) -> None:
    draft = _draft(await state.get_data())
    if draft is None:
        await leave_state(state)
        await outdated(query, t)
        return
    change = await svc.create(rt.db, draft, admin_id=admin.id, actor=actor(admin))
    if change.outcome == svc.Outcome.OVERLAP and change.conflict is not None:
        note = views.overlap(t, change.conflict, rt.config.tz)
        screen = views.summary(
            t, draft.name, draft.starts_at, draft.ends_at, list(draft.rates), rt.config.tz, note=note
        )
        await show(query, *screen)
        await ack(query, views.overlap_alert(t, change.conflict), alert=True)
        return
    await leave_state(state)
    assert change.session is not None
    await _view(query, rt, admin, t, change.session.id, t("adm.rs.created"))
    await ack(query)


# ------------------------------------------------------------------------- toggle / delete / recalc
async def toggle(query: CallbackQuery, callback_data: Adm, rt: Runtime, admin: Admin, t: Translator) -> None:
    change = await svc.set_active(rt.db, callback_data.id, callback_data.act == "on", actor=actor(admin))
    if change.outcome == svc.Outcome.NOT_FOUND:
        await outdated(query, t)
        return
    if change.outcome == svc.Outcome.OVERLAP and change.conflict is not None:
        await _view(query, rt, admin, t, callback_data.id, views.overlap(t, change.conflict, rt.config.tz))
        await ack(query, views.overlap_alert(t, change.conflict), alert=True)
        return
    key = "adm.rs.activated" if callback_data.act == "on" else "adm.rs.deactivated"
    await _view(query, rt, admin, t, callback_data.id, t(key))
    await ack(query)


async def delete_ask(query: CallbackQuery, callback_data: Adm, rt: Runtime, t: Translator) -> None:
    row = await svc.get(rt.db, callback_data.id)
    if row is None:
        await outdated(query, t)
        return
    await show(query, *views.confirm_delete(t, row))
    await ack(query)


async def delete_confirmed(
    query: CallbackQuery, callback_data: Adm, rt: Runtime, admin: Admin, t: Translator
) -> None:
    change = await svc.remove(rt.db, callback_data.id, actor=actor(admin))
    if change.outcome == svc.Outcome.NOT_FOUND:
        await outdated(query, t)
        return
    if change.outcome == svc.Outcome.HAS_ACCRUALS:
        await _view(query, rt, admin, t, callback_data.id, t("adm.rs.err.has_accruals"))
        await ack(query, t.plain("adm.rs.err.has_accruals"), alert=True)
        return
    await _listing(query, rt, admin, t, 1, t("adm.rs.deleted", id=callback_data.id))
    await ack(query)


async def recalculate(
    query: CallbackQuery, callback_data: Adm, rt: Runtime, admin: Admin, t: Translator
) -> None:
    result = await svc.recalculate(rt, callback_data.id, actor=actor(admin))
    if result is None:
        await outdated(query, t)
        return
    note = t("adm.rs.recalculated", count=result.accruals, total=views.exact(t, result.total))
    # Recalculation follows the calculator's rules: say why nothing can accrue, when that is so.
    row = await svc.get(rt.db, callback_data.id)
    if not await rt.store.get("reward.enabled"):
        note = join([note, t("adm.rs.recalc_disabled")])
    elif row is not None and not row.is_active:
        note = join([note, t("adm.rs.recalc_inactive")])
    await _view(query, rt, admin, t, callback_data.id, note)
    await ack(query)


def build() -> Router:
    router = Router(name="admin.rewards")
    msg, cb = router.message, router.callback_query
    msg.register(name_entered, StateFilter(AdminRewards.name), flags=SUPER)
    msg.register(start_entered, StateFilter(AdminRewards.starts), flags=SUPER)
    msg.register(end_entered, StateFilter(AdminRewards.ends), flags=SUPER)
    msg.register(rates_entered, StateFilter(AdminRewards.rates), flags=SUPER)
    cb.register(show_list, AdmRoute(SEC, "", "list"), flags=ANY)
    cb.register(show_view, AdmRoute(SEC, "view"), flags=ANY)
    cb.register(create_start, AdmRoute(SEC, "create"), flags=SUPER)
    cb.register(create_confirmed, AdmRoute(SEC, "create_ok"), StateFilter(AdminRewards.confirm), flags=SUPER)
    cb.register(toggle, AdmRoute(SEC, "on", "off"), flags=SUPER)
    cb.register(delete_ask, AdmRoute(SEC, "del"), flags=SUPER)
    cb.register(delete_confirmed, AdmRoute(SEC, "del_ok"), flags=SUPER)
    cb.register(recalculate, AdmRoute(SEC, "recalc"), flags=SUPER)
    return router
