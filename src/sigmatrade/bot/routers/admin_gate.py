"""The one admin router and its deny-by-default gate (SPEC §5.7.2, docs/bot-conventions.md).

Every admin router (``bot/routers/admin/<feature>.py``) hangs under this router. Its root filter
matches only admins (a non-removed ``admins`` row): anyone else never reaches an admin handler and the
update falls through to the user routers and the fallback router — the unknown-command answer or the
"outdated button" alert, exactly what a non-existent command or button gets.

For an admin, the gate runs after a handler matched (an inner middleware of this router, so it covers
every sub-router) and decides before the handler:
* the handler has no ``role`` flag → refused ("insufficient rights") and logged as a bug;
* no live session (unless the handler is a ``login`` handler) → the login prompt;
* the admin's role is below the handler's ``role`` → "insufficient rights".
A live session is slid forward and handed to the handler as ``admin_session``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, Message, TelegramObject

from sigmatrade.bot import admin_flow
from sigmatrade.db.models import Admin
from sigmatrade.domain.enums import AdminRole
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime
from sigmatrade.services.admin import access

log = get_logger("sigmatrade.admin.gate")


async def is_admin(event: TelegramObject, admin: Admin | None = None) -> bool:
    """Root filter: a non-removed admins row for the sender (loaded by the user middleware)."""
    return admin is not None and admin.removed_at is None


class AdminGate(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Message | CallbackQuery)
        admin: Admin = data["admin"]
        rt: Runtime = data["rt"]
        role = get_flag(data, admin_flow.ROLE)
        if role not in admin_flow.ROLES:
            callback = getattr(data.get("handler"), "callback", None)
            log.error("admin_handler_without_role", handler=getattr(callback, "__qualname__", repr(callback)))
            await admin_flow.insufficient_rights(event, data["t"])
            return None
        if not get_flag(data, admin_flow.LOGIN, default=False):
            if "admin_live" in data:  # loaded with the admin row by the user middleware
                live = await access.slide(data["session"], rt.store, data["admin_live"])
            else:
                live = await access.live_session(data["session"], rt.store, admin.id)
            if live is None:
                await admin_flow.prompt_login(
                    event, rt=rt, state=data["state"], session=data["session"], admin=admin, t=data["t"]
                )
                return None
            data["admin_session"] = live
        if not admin_flow.allowed(admin, AdminRole(role)):
            await admin_flow.insufficient_rights(event, data["t"])
            return None
        return await handler(event, data)


def build() -> Router:
    from sigmatrade.bot.routers import registry

    router = Router(name="admin")
    gate = AdminGate()
    for observer in (router.message, router.callback_query):
        observer.filter(is_admin)
        observer.middleware(gate)
    for sub in registry.admin_routers():
        router.include_router(sub)
    return router
