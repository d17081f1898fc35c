"""#6 User loading: ``user`` and ``admin`` rows by Telegram id; refresh profile fields; clear unreachable.

Both rows (and, for an admin, the live admin session the admin gate checks: ``admin_live``; and
whether the Telegram id is blacklisted, which the ban middleware needs for guests: ``blacklisted``)
come from one read outside any transaction, sent to the driver directly (``db/hot.py``: it is the one
read every update makes); the profile refresh (rare: a changed name, or ``last_seen_at``
older than 5 minutes) is written in its own short transaction afterwards, so a plain update never takes
the SQLite write lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, NamedTuple

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy import BigInteger, Select, String, and_, bindparam, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from sigmatrade import clock
from sigmatrade.bot.fsm_storage import PREFETCHED, sql_record_key
from sigmatrade.bot.middlewares._util import event_user
from sigmatrade.db.hot import HotSelect, columns_of, detached
from sigmatrade.db.models import Admin, AdminSession, Blacklist, FsmState, User
from sigmatrade.db.types import UTCDateTime
from sigmatrade.logging import helped_by
from sigmatrade.runtime import Runtime
from sigmatrade.services.admin import access

LAST_SEEN_EVERY = timedelta(minutes=5)
READ_AHEAD = "user_read_ahead"  # data key: the update's user read, started early (``read_ahead``)


def read_ahead(rt: Runtime, data: dict[str, Any], telegram_id: int) -> asyncio.Task[Loaded]:
    """Start the update's user read now, as a task this middleware awaits later. The throttle calls it
    just before its own Redis round trip, so the database's round trip runs during Redis's instead of
    after it. An update the throttle then refuses waits for its read before it ends (``settle_read``):
    a user's updates still make at most one read at a time, however fast they come. That read is the
    price of a refused update with Redis configured (one indexed read, its result dropped)."""
    fsm = sql_record_key(data)
    task = asyncio.ensure_future(user_and_admin(rt.db.engine, telegram_id, fsm[1] if fsm is not None else ""))
    task.add_done_callback(_retrieved)
    helped_by(task)  # the lane watchdog's "waiting_in" follows into the read
    data[READ_AHEAD] = task
    return task


async def settle_read(task: asyncio.Task[Loaded]) -> None:
    """Wait for an early read nobody else awaits (the update was refused, or failed before the user
    middleware), without its result or error: the read holds a pooled connection until it ends."""
    if not task.done():
        await asyncio.wait((task,))


def _retrieved(task: asyncio.Future[Loaded]) -> None:
    """A read whose result is dropped must not log "exception never retrieved"."""
    if not task.cancelled():
        task.exception()


class UserLoadingMiddleware(BaseMiddleware):
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        tg = event_user(event)
        data["user"] = None
        data["admin"] = None
        data["blacklisted"] = False
        if tg is not None:
            session: AsyncSession = data["session"]
            fsm = sql_record_key(data)
            early: asyncio.Task[Loaded] | None = data.pop(READ_AHEAD, None)
            if early is not None:
                found = await early
            else:
                found = await user_and_admin(self.rt.db.engine, tg.id, fsm[1] if fsm is not None else "")
            user, admin, live, blacklisted = found.user, found.admin, found.live, found.blacklisted
            if fsm is not None:
                # The FSM record kept in SQL (no Redis) came with the same query: it primes the update's
                # FSM cache (FsmUpdateCacheMiddleware).
                data[PREFETCHED] = (fsm[0], found.fsm_state, found.fsm_data)
            if user is not None and _refresh(user, tg.username, tg.first_name, tg.language_code):
                # Its own short write transaction; the rows stay detached snapshots (a later rollback in
                # a service can never expire them; services that change a user load it again).
                session.add(user)
                await session.commit()
                session.expunge(user)
            data["user"] = user
            data["admin"] = admin
            data["blacklisted"] = blacklisted
            if admin is not None:
                data["admin_live"] = live
        return await handler(event, data)


class Loaded(NamedTuple):
    user: User | None
    admin: Admin | None
    live: AdminSession | None  # the admin's live session
    blacklisted: bool  # the Telegram id is on the blacklist
    fsm_state: str | None = None  # the FSM record asked for (``fsm_key``), when it lives in SQL
    fsm_data: dict[str, Any] | None = None  # a fresh dict of its own ({} when there is no record)


_USER_COLUMNS, _USER_KEYS = columns_of(User)
_ADMIN_COLUMNS, _ADMIN_KEYS = columns_of(Admin)
_LIVE_COLUMNS, _LIVE_KEYS = columns_of(AdminSession)


def _user_and_admin() -> Select[*tuple[Any, ...]]:
    anchor = select(bindparam("telegram_id", type_=BigInteger).label("telegram_id")).subquery()
    return (
        select(*_USER_COLUMNS, *_ADMIN_COLUMNS, *_LIVE_COLUMNS, Blacklist.id, FsmState.state, FsmState.data)
        .select_from(anchor)
        .outerjoin(User, User.telegram_id == anchor.c.telegram_id)
        .outerjoin(Admin, and_(Admin.telegram_id == anchor.c.telegram_id, Admin.removed_at.is_(None)))
        .outerjoin(
            AdminSession,
            and_(AdminSession.admin_id == Admin.id, *access.is_live(bindparam("now", type_=UTCDateTime))),
        )
        .outerjoin(Blacklist, Blacklist.telegram_id == anchor.c.telegram_id)
        .outerjoin(FsmState, FsmState.key == bindparam("fsm_key", type_=String))
        .order_by(AdminSession.id.desc())
        .limit(1)
    )


# Sent to the driver directly (db/hot.py): every update with a sender makes this read.
_USER_AND_ADMIN = HotSelect(_user_and_admin())


async def user_and_admin(engine: AsyncEngine, telegram_id: int, fsm_key: str = "") -> Loaded:
    """The user (or None), the live admin (or None), that admin's live session (or None), whether the
    Telegram id is blacklisted and the ``fsm_states`` record ``fsm_key`` (if any), in one query outside any
    transaction; the rows come detached."""
    params = {"telegram_id": telegram_id, "now": clock.now(), "fsm_key": fsm_key}
    row = await _USER_AND_ADMIN.first(engine, params)
    assert row is not None  # the anchor always yields one row
    a, b, c = len(_USER_KEYS), len(_ADMIN_KEYS), len(_LIVE_KEYS)
    user = detached(User, _USER_KEYS, row[:a])
    admin = detached(Admin, _ADMIN_KEYS, row[a : a + b])
    live = detached(AdminSession, _LIVE_KEYS, row[a + b : a + b + c])
    blacklisted, state, data = row[a + b + c :]
    return Loaded(user, admin, live, blacklisted is not None, state, dict(data) if data else {})


def _refresh(user: User, username: str | None, first_name: str | None, language_code: str | None) -> bool:
    """Update changed profile fields on ``user``; True when anything changed."""
    now = clock.now()
    if user.username != username:
        user.username = username
        user.username_lc = username.lower() if username else None
    if first_name is not None and user.first_name != first_name[:128]:
        user.first_name = first_name[:128]
    if language_code is not None and user.telegram_language_code != language_code[:16]:
        user.telegram_language_code = language_code[:16]
    if user.is_unreachable:
        user.is_unreachable = False
        user.unreachable_since = None
    if user.last_seen_at is None or now - user.last_seen_at >= LAST_SEEN_EVERY:
        user.last_seen_at = now
    return inspect(user).modified
