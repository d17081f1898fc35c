"""Pieces every admin router shares: the admin callback route filter, the role flags, the login prompt
and the "insufficient rights" answer (docs/bot-conventions.md, "Admin screens").

Handlers declare the role they need as a handler flag: ``flags={"role": AdminRole.ADMIN}``. Only the
login handlers (``/admin`` and the key input) also carry ``"login": True``: they run without a live
session. The gate (``bot/routers/admin_gate.py``) reads both flags of the handler that matched.
"""

from __future__ import annotations

import contextlib
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.bot.callbacks import MAX_ID, Adm
from sigmatrade.bot.routing import Keys
from sigmatrade.bot.states import AdminLogin
from sigmatrade.bot.views.admin import access as views
from sigmatrade.db.models import Admin
from sigmatrade.domain.enums import ROLE_RANK, AdminRole
from sigmatrade.runtime import Runtime
from sigmatrade.services.admin import access
from sigmatrade.texts.i18n import Translator

ROLE = "role"
LOGIN = "login"
ROLES: tuple[AdminRole, ...] = (AdminRole.ADMIN, AdminRole.EXTENDED_ADMIN, AdminRole.SUPER_ADMIN)


def allowed(admin: Admin, role: AdminRole) -> bool:
    return ROLE_RANK[AdminRole(admin.role)] >= ROLE_RANK[role]


class AdmRoute(Filter):
    """Matches ``Adm`` callback data of one section (and one of ``acts``, when given). Ids and pages
    are bounded like user ids before they reach SQL; anything else does not match (the update then
    gets the "outdated button" alert from the fallback router)."""

    def __init__(self, sec: str, *acts: str) -> None:
        self.sec = sec
        self.acts = acts

    async def __call__(self, query: CallbackQuery) -> bool | dict[str, Any]:
        raw = query.data or ""
        parts = raw.split(Adm.__separator__)
        # Section and action compared on the text first (packed values never hold the separator):
        # of the ~30 admin handlers tried in turn, only the matching one pays for unpacking.
        if len(parts) < 3 or parts[0] != Adm.__prefix__ or parts[1] != self.sec:
            return False
        if self.acts and parts[2] not in self.acts:
            return False
        try:
            data = Adm.unpack(raw)
        except (ValueError, TypeError):
            return False
        if data.sec != self.sec or (self.acts and data.act not in self.acts):
            return False
        if not (0 <= data.id <= MAX_ID and 0 <= data.page <= 1_000_000):
            return False
        return {"callback_data": data}

    def callback_keys(self) -> Keys:
        """For the routing index (bot/routing.py): the packed data starts with section and action."""
        head = f"{Adm.__prefix__}{Adm.__separator__}{self.sec}{Adm.__separator__}"
        if not self.acts:
            return Keys(prefixes=frozenset({head}))
        return Keys(prefixes=frozenset(f"{head}{act}{Adm.__separator__}" for act in self.acts))

    def examples(self) -> list[str]:
        """Callback data this filter accepts, one per action (the permission-matrix test forges them)."""
        return [Adm(sec=self.sec, act=act, id=1, page=1).pack() for act in (self.acts or ("",))]

    def __str__(self) -> str:
        return f"AdmRoute({self.sec!r}, {', '.join(map(repr, self.acts))})"


async def answer(event: Message | CallbackQuery, text: str) -> None:
    """A short refusal: an alert for a button, a message for a command or text."""
    if isinstance(event, CallbackQuery):
        with contextlib.suppress(TelegramAPIError):
            await event.answer(text, show_alert=True)
    else:
        await event.answer(text)


async def insufficient_rights(event: Message | CallbackQuery, t: Translator) -> None:
    await answer(event, t.plain("adm.err.rights"))


async def prompt_login(
    event: Message | CallbackQuery,
    *,
    rt: Runtime,
    state: FSMContext,
    session: AsyncSession,
    admin: Admin,
    t: Translator,
) -> None:
    """The login prompt (or why logging in is not possible now). Nothing else runs."""
    fresh = await access.fresh(session, admin.id)
    now = clock.now()
    if fresh is None or fresh.removed_at is not None:
        screen = views.gone(t)
    elif access.is_locked(fresh, now):
        assert fresh.locked_until is not None
        if await state.get_state() == AdminLogin.key.state:
            await state.set_state(None)
        screen = views.locked(t, fresh.locked_until, now)
    elif fresh.master_key_hash is None:
        screen = views.no_key(t)
    else:
        max_attempts = int(await rt.store.get("admin.login_max_attempts"))
        await state.set_state(AdminLogin.key)
        screen = views.prompt(t, max(0, max_attempts - fresh.failed_login_attempts))
    text, markup = screen
    if isinstance(event, CallbackQuery):
        with contextlib.suppress(TelegramAPIError):
            await event.answer(t.plain("adm.login.needed"))
        assert event.bot is not None
        await event.bot.send_message(event.from_user.id, text, reply_markup=markup)
    else:
        await event.answer(text, reply_markup=markup)
