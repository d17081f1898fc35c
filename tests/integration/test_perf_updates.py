"""Deterministic work per simple update (SPEC §1.5): SQL statements counted while the real bot handles
each update, plus the behaviour the fast path must keep (profile refresh, FSM written by someone else
between updates, admin rows, throttling counters)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from aiogram import BaseMiddleware
from aiogram.types import Update
from sqlalchemy import event, select

from sigmatrade import clock
from sigmatrade.bot.callbacks import Nav
from sigmatrade.bot.middlewares.user import user_and_admin
from sigmatrade.db import hot
from sigmatrade.db.models import Admin, AdminSession, Blacklist, User
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import AdminCreatedVia, AdminRole
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services.ratelimit import Check, MemoryCounter, RedisCounter, admit
from tests.factories import make_user
from tests.redis_spy import ANSWERED, redis_commands, redis_of

# Upper bound of SQL statements for a simple menu screen (user+admin read, one FSM read; SQLite adds
# its BEGIN statements). Raise it only with a reason: every statement is a round trip per update.
MAX_STATEMENTS = 4


class Probe(BaseMiddleware):
    """First in the chain: the SQL statements executed while each update is handled."""

    def __init__(self, db: Database) -> None:
        self.current: list[str] | None = None
        self.done: asyncio.Queue[list[str]] = asyncio.Queue()
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._on_sql)
        # Hot reads (db/hot.py) bypass SQLAlchemy's events; an earlier test's probe stops listening.
        hot.observers[:] = [o for o in hot.observers if not isinstance(getattr(o, "__self__", None), Probe)]
        hot.observers.append(self._on_hot_read)

    def _on_sql(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self.current is not None:
            self.current.append(statement.strip().split()[0].upper() + " " + statement.strip()[:80])

    def _on_hot_read(self, _dialect: str, statement: str) -> None:
        self._on_sql(None, None, statement)

    async def __call__(self, handler: Any, event_: Any, data: dict[str, Any]) -> Any:
        self.current = []
        try:
            return await handler(event_, data)
        finally:
            statements, self.current = self.current, None
            self.done.put_nowait(statements)

    async def next(self) -> list[str]:
        return await asyncio.wait_for(self.done.get(), 10)


def install_probe(h: Harness) -> Probe:
    assert h.app is not None and h.app.dp is not None
    probe = Probe(h.rt.db)
    h.app.dp.update.outer_middleware._middlewares.insert(0, probe)  # type: ignore[attr-defined]
    return probe


def kinds(statements: list[str]) -> list[str]:
    return [s.split()[0] for s in statements]


async def test_guest_menu_screens_stay_within_the_statement_budget(harness: Harness) -> None:
    user = harness.user(7301, "Guest", language_code="en")
    await user.send("/start")
    probe = install_probe(harness)
    ex = await user.send("/help")
    help_sql = await probe.next()
    assert "Commands" in ex.text
    ex = await user.press_data(Nav(to="menu").pack())
    menu_sql = await probe.next()
    assert "Welcome to SigmaTrade" in ex.text
    for statements in (help_sql, menu_sql):
        assert len(statements) <= MAX_STATEMENTS, statements
        # read only: no write lock on SQLite, nothing written, the FSM record read once
        assert not [s for s in statements if "IMMEDIATE" in s or s.split()[0] in ("INSERT", "UPDATE")]
        assert sum("fsm_states" in s for s in statements) <= 1, statements
        if harness.rt.redis is None:  # FSM records in SQL: read with the user row, one query in all
            assert len([s for s in statements if s.startswith("SELECT")]) == 1, statements


async def test_registered_user_profile_refresh_is_still_saved(harness: Harness) -> None:
    async with harness.rt.db.transaction() as session:
        await make_user(session, telegram_id=7302, finpass="Abcdefgh2345", language="en")
    probe = install_probe(harness)
    user = harness.user(7302, "Reg", language_code="en", username="fresh_name")
    ex = await user.send("/menu")
    first = await probe.next()
    assert "Main menu" in ex.text
    assert "UPDATE" in kinds(first)  # new username and first last_seen_at
    async with harness.rt.db.session() as session:
        row = await session.scalar(select(User).where(User.telegram_id == 7302))
        assert row is not None and row.username == "fresh_name" and row.last_seen_at is not None
        seen = row.last_seen_at
    ex = await user.send("/menu")
    second = await probe.next()
    assert "Main menu" in ex.text
    assert len(second) <= MAX_STATEMENTS and "UPDATE" not in kinds(second), second
    clock.travel(timedelta(minutes=6))
    await user.send("/menu")
    assert "UPDATE" in kinds(await probe.next())
    async with harness.rt.db.session() as session:
        row = await session.scalar(select(User).where(User.telegram_id == 7302))
        assert row is not None and row.last_seen_at is not None and row.last_seen_at > seen


async def test_screens_read_without_the_write_lock_and_start_writes_no_unchanged_fsm(
    harness: Harness,
) -> None:
    """/start clears the FSM state: when it is already clear nothing is written. The profile, deposits
    and history screens read without SQLite's write lock and write nothing."""
    async with harness.rt.db.transaction() as session:
        await make_user(session, telegram_id=7306, finpass="Abcdefgh2345", language="en")
    guest = harness.user(7307, "Guest", language_code="en")
    await guest.send("/start")
    user = harness.user(7306, "Reg", language_code="en")
    await user.send("/menu")
    probe = install_probe(harness)
    await guest.send("/start")
    again = await probe.next()
    assert not [s for s in again if s.split()[0] in ("INSERT", "UPDATE", "DELETE")], again
    for screen in ("profile", "deposits", "history"):
        await user.press_data(Nav(to=screen).pack())
        statements = await probe.next()
        assert not [s for s in statements if "IMMEDIATE" in s or s.split()[0] in ("INSERT", "UPDATE")], (
            screen,
            statements,
        )


async def test_fsm_written_between_updates_is_seen_by_the_next_update(harness: Harness) -> None:
    """Nothing is cached across updates: another replica may write the FSM record in between."""
    assert harness.app is not None and harness.app.dp is not None and harness.app.bot is not None
    user = harness.user(7303, "Guest", language_code="ru")
    assert "Добро пожаловать" in (await user.send("/start")).text
    ctx = harness.app.dp.fsm.resolve_context(bot=harness.app.bot, chat_id=7303, user_id=7303)
    await ctx.set_data({"lang": "en"})
    assert "Commands" in (await user.send("/help")).text
    await ctx.set_data({"lang": "ru"})
    assert "Commands" not in (await user.send("/help")).text
    # a state entered in one update and left by the next one is really left in the storage
    ex = await user.send("/start")
    await user.press(ex.buttons()[0])  # registration: an input state
    assert await ctx.get_state() is not None
    await user.send("/help")
    assert await ctx.get_state() is None
    assert (await ctx.get_data()).get("lang") == "ru"


async def test_with_redis_a_simple_update_makes_one_redis_round_trip(harness: Harness) -> None:
    """The throttle's script brings the FSM record (polling: one user's updates are serialised in
    process, so reading it before the isolation lock is reading what the handler would read)."""
    redis = redis_of(harness)
    user = harness.user(7308, "Guest", language_code="ru")
    await user.send("/start")
    events: list[str] = []
    with redis_commands(redis, events):
        assert "Команды" in (await user.send("/help")).text
        assert "Welcome" not in (await user.press_data(Nav(to="menu").pack())).text
    sent = [e for e in events if e != ANSWERED]
    assert sent == ["EVALSHA", "EVALSHA"], sent


async def test_admin_is_loaded_with_the_user(harness: Harness) -> None:
    async with harness.rt.db.transaction() as session:
        await make_user(session, telegram_id=7304, finpass="Abcdefgh2345", language="en")
        await make_user(session, telegram_id=7305, finpass="Abcdefgh2345", language="en")
        session.add(Admin(telegram_id=7304, role=AdminRole.ADMIN, created_via=AdminCreatedVia.BOOTSTRAP))
    admin_buttons = (await harness.user(7304, "A", language_code="en").send("/menu")).buttons()
    plain_buttons = (await harness.user(7305, "B", language_code="en").send("/menu")).buttons()
    assert len(admin_buttons) == len(plain_buttons) + 1


async def test_user_and_admin_query(db: Database) -> None:
    async with db.transaction() as session:
        await make_user(session, telegram_id=7311)
        await make_user(session, telegram_id=7312)
        session.add(Admin(telegram_id=7312, role=AdminRole.ADMIN, created_via=AdminCreatedVia.BOOTSTRAP))
        session.add(Admin(telegram_id=7313, role=AdminRole.ADMIN, created_via=AdminCreatedVia.BOOTSTRAP))
        session.add(
            Admin(
                telegram_id=7314,
                role=AdminRole.ADMIN,
                created_via=AdminCreatedVia.BOOTSTRAP,
                removed_at=clock.now(),
            )
        )
        session.add(Blacklist(telegram_id=7315, reason="spam"))
        session.add(Blacklist(telegram_id=7311, reason="listed after registering"))

    async def load(tg: int) -> tuple[int | None, int | None, bool]:
        loaded = await user_and_admin(db.engine, tg)
        user, admin = loaded.user, loaded.admin
        return (
            user.telegram_id if user else None,
            admin.telegram_id if admin else None,
            loaded.blacklisted,
        )

    assert await load(7311) == (7311, None, True)
    assert await load(7312) == (7312, 7312, False)
    assert await load(7313) == (None, 7313, False)
    assert await load(7314) == (None, None, False)  # removed admins do not count
    assert await load(7315) == (
        None,
        None,
        True,
    )  # a blacklisted guest: no read of the ban middleware's own
    assert await load(7399) == (None, None, False)


async def test_the_admins_live_session_is_loaded_with_the_admin(db: Database) -> None:
    """The admin gate needs no read of its own: the user middleware's query brings the live session."""
    now = clock.now()
    async with db.transaction() as session:
        live_admin = Admin(telegram_id=7321, role=AdminRole.ADMIN, created_via=AdminCreatedVia.BOOTSTRAP)
        lapsed_admin = Admin(telegram_id=7322, role=AdminRole.ADMIN, created_via=AdminCreatedVia.BOOTSTRAP)
        session.add_all([live_admin, lapsed_admin])
        await session.flush()
        hour = timedelta(hours=1)
        session.add_all(
            [
                AdminSession(
                    admin_id=live_admin.id,
                    last_activity_at=now - hour,
                    expires_at=now - hour,
                    revoked_at=now - hour,
                    revoke_reason="new_login",
                ),
                AdminSession(admin_id=live_admin.id, last_activity_at=now, expires_at=now + hour),
                AdminSession(
                    admin_id=lapsed_admin.id, last_activity_at=now - 2 * hour, expires_at=now - hour
                ),
                AdminSession(
                    admin_id=lapsed_admin.id,
                    last_activity_at=now,
                    expires_at=now + hour,
                    revoked_at=now,
                    revoke_reason="logout",
                ),
            ]
        )
    found = await user_and_admin(db.engine, 7321)
    admin, live = found.admin, found.live
    assert admin is not None and live is not None
    assert live.admin_id == admin.id and live.revoked_at is None and live.expires_at > now
    found = await user_and_admin(db.engine, 7322)
    admin, live = found.admin, found.live
    assert admin is not None and live is None  # expired and revoked sessions are not live
    found = await user_and_admin(db.engine, 7399)
    admin, live = found.admin, found.live
    assert admin is None and live is None


def _counters() -> list[Any]:
    counters: list[Any] = [pytest.param("memory", id="memory")]
    if os.environ.get("TEST_REDIS_URL"):
        counters.append(pytest.param("redis", id="redis"))
    return counters


@pytest.mark.parametrize("kind", _counters())
async def test_counter_hit_window(kind: str) -> None:
    redis: Any = None
    counter: Any
    if kind == "redis":
        from redis.asyncio import Redis

        redis = Redis.from_url(os.environ["TEST_REDIS_URL"])
        counter = RedisCounter(redis, prefix="sigmatrade:perftest:")
        await counter.reset()
    else:
        counter = MemoryCounter()
    try:
        assert [(await counter.hit("k", 3, 60)).allowed for _ in range(3)] == [True, True, True]
        clock.travel(timedelta(seconds=10))
        denied = await counter.hit("k", 3, 60)
        assert not denied.allowed and 49 <= denied.retry_after <= 50.5
        assert not (await counter.peek("k", 3, 60)).allowed
        assert (await counter.hit("other", 3, 60)).allowed
        clock.travel(
            timedelta(seconds=51)
        )  # the first three hits left the window; the refusal was not counted
        assert [(await counter.hit("k", 3, 60)).allowed for _ in range(4)] == [True, True, True, False]
    finally:
        if redis is not None:
            await counter.reset()
            await redis.aclose()


@pytest.mark.parametrize("kind", _counters())
async def test_throttle_admit_order(kind: str) -> None:
    """Double tap, then mute, then the sliding window; a refused step records nothing further."""
    redis: Any = None
    counter: Any
    if kind == "redis":
        from redis.asyncio import Redis

        redis = Redis.from_url(os.environ["TEST_REDIS_URL"])
        counter = RedisCounter(redis, prefix="sigmatrade:perftest:")
        await counter.reset()
    else:
        counter = MemoryCounter()

    async def step(tap: str | None) -> str:
        check = Check(
            tap_key=tap, tap_seconds=1.0, mute_key="user:1", hits_key="updates:1", limit=3, window=60
        )
        outcome, values = await admit(counter, check)
        assert values is None  # nothing asked to be read
        return outcome

    try:
        assert await step("tap:1:nav:help") == "ok"
        assert await step("tap:1:nav:help") == "double_tap"  # not counted as a hit
        assert await step("tap:1:nav:menu") == "ok"
        assert await step(None) == "ok"
        assert await step(None) == "limited"
        # exactly three hits recorded: the double tap and the refusal were not counted
        assert not (await counter.peek("updates:1", 3, 60)).allowed
        assert (await counter.peek("updates:1", 4, 60)).allowed
        await counter.mute("user:1", 120)
        assert await step("tap:1:nav:faq") == "muted"
        assert await step("tap:1:nav:faq") == "double_tap"  # the tap was remembered before the mute check
        clock.travel(timedelta(seconds=121))
        assert await step("tap:1:nav:help") == "ok"
    finally:
        if redis is not None:
            await counter.reset()
            await redis.aclose()


async def test_one_users_updates_are_serialised_in_process_when_polling(harness: Harness) -> None:
    """Polling: the lease holder's per-user lanes order a user's updates, so no Redis lock per update
    (two Redis round trips saved); behind a webhook, replicas may receive one user's updates at once."""
    from aiogram.fsm.storage.memory import SimpleEventIsolation

    from sigmatrade.bot.factory import cross_replica_isolation

    assert harness.app is not None and harness.app.dp is not None
    assert isinstance(harness.app.dp.fsm.events_isolation, SimpleEventIsolation)
    rt = harness.rt
    webhook = replace(rt, config=rt.config.model_copy(update={"webhook_url": "https://bot.example.org"}))
    assert cross_replica_isolation(webhook) is (rt.redis is not None)
    assert not cross_replica_isolation(rt)


async def test_behind_a_webhook_the_fsm_record_is_read_after_the_isolation_lock(harness: Harness) -> None:
    """With a Redis lock per update (webhook), the throttle must not bring the FSM record: it would be
    read before the lock, while another replica may still be writing it."""
    from aiogram.dispatcher.middlewares.user_context import EVENT_CONTEXT_KEY, UserContextMiddleware

    from sigmatrade.bot.factory import build_dispatcher
    from sigmatrade.bot.fsm_storage import redis_prefetch

    rt = harness.rt
    if rt.redis is None:
        pytest.skip("Redis only (TEST_REDIS_URL)")
    assert harness.app is not None and harness.app.dp is not None and harness.app.bot is not None
    tg = {"id": 7309, "is_bot": False, "first_name": "G"}
    update = Update.model_validate(
        {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 7309, "type": "private"},
                "from": tg,
                "text": "/help",
            },
        }
    )

    def data_for(dp: Any) -> dict[str, Any]:
        context = UserContextMiddleware.resolve_event_context(update)
        return {"dispatcher": dp, "bot": harness.app.bot, EVENT_CONTEXT_KEY: context}  # type: ignore[union-attr]

    polling = redis_prefetch(data_for(harness.app.dp))
    assert polling is not None and polling.redis_keys[0].endswith(":state")
    webhook = replace(rt, config=rt.config.model_copy(update={"webhook_url": "https://bot.example.org"}))
    assert redis_prefetch(data_for(build_dispatcher(webhook))) is None


async def test_the_update_fsm_context_is_resolved_once_by_our_middlewares(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The throttle (Redis: the record's keys and the user read) and the user middleware all ask for the
    update's FSM record; the context is resolved once for them (and once more by aiogram's own FSM
    middleware), not once per asker (about 10 µs each inside the real process)."""
    from aiogram.fsm.middleware import FSMContextMiddleware

    calls: list[int] = []
    resolve = FSMContextMiddleware.resolve_event_context

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return resolve(self, *args, **kwargs)

    user = harness.user(7311, "Guest", language_code="en")
    await user.send("/start")
    monkeypatch.setattr(FSMContextMiddleware, "resolve_event_context", counted)
    ex = await user.send("/help")
    assert ex.events, "the bot answered"
    assert len(calls) == 2
