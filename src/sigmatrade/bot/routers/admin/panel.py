"""The admin panel (SPEC §5.8 "Panel"): attention counts and the buttons the role allows."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.bot.admin_flow import AdmRoute
from sigmatrade.bot.flow import ack, leave_state
from sigmatrade.bot.ui import show
from sigmatrade.bot.views.admin import panel as views
from sigmatrade.db.models import Admin
from sigmatrade.domain.enums import AdminRole
from sigmatrade.services.admin import panel as svc
from sigmatrade.texts.i18n import Translator

ORDER = 20


async def render(event: Message | CallbackQuery, session: AsyncSession, admin: Admin, t: Translator) -> None:
    from sigmatrade.bot.routers import registry

    counts = await svc.attention(session)
    await show(event, *views.panel(t, admin.role, counts, registry.admin_panel_buttons()))


async def open_panel(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, admin: Admin, t: Translator
) -> None:
    await leave_state(state)
    await render(query, session, admin, t)
    await ack(query)


def build() -> Router:
    router = Router(name="admin.panel")
    router.callback_query.register(open_panel, AdmRoute("panel"), flags={"role": AdminRole.ADMIN})
    return router
