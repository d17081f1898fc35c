"""Hot reads (db/hot.py): the per-update user read sent to the driver directly must load exactly what
SQLAlchemy's ORM loads, leave the rows in the state of expunged loaded objects, and never leave a
connection in a bad state or checked out."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import BigInteger, Column, MetaData, Table, inspect, literal, select

from sigmatrade import clock
from sigmatrade.bot.middlewares.user import user_and_admin
from sigmatrade.db.hot import HotSelect
from sigmatrade.db.models import Admin, AdminSession, Blacklist, FsmState, User
from sigmatrade.db.session import Database, SecondConnectionInUnit
from sigmatrade.domain.enums import AdminCreatedVia, AdminRole
from tests.factories import make_user

FSM_KEY = "fsm:1:7501:7501:default:default"
FSM_DATA = {"lang": "ru", "amount": "1000.000000000000000001", "nested": {"list": [1, "два", None]}}


async def _everything_set(db: Database) -> None:
    """A user, an admin and a live session with every nullable column filled, a blacklist entry and an
    FSM record (the moments carry microseconds, the texts non-ASCII)."""
    now = clock.now().replace(microsecond=123456)
    async with db.transaction() as session:
        referrer = await make_user(session, telegram_id=7500)
        creator = Admin(telegram_id=7599, role=AdminRole.SUPER_ADMIN, created_via=AdminCreatedVia.BOOTSTRAP)
        session.add(creator)
        await session.flush()
        user = await make_user(
            session, telegram_id=7501, username="Hot_Reader", language="ru", referrer=referrer
        )
        user.first_name = "Анна <b>"
        user.telegram_language_code = "ru-RU"
        user.finpass_failed_attempts = 2
        user.finpass_locked_until = now + timedelta(minutes=15)
        user.phone_enc = "enc-phone"
        user.email_enc = "enc-email"
        user.is_banned, user.banned_at, user.ban_reason = True, now, "причина"
        user.banned_by_admin_id = creator.id
        user.earnings_blocked = user.is_unreachable = user.accrual_notifications = True
        user.unreachable_since = user.last_seen_at = now - timedelta(days=1)
        admin = Admin(
            telegram_id=7501,
            username="hot_admin",
            role=AdminRole.EXTENDED_ADMIN,
            master_key_hash="argon2-hash",
            failed_login_attempts=1,
            locked_until=now - timedelta(hours=1),
            created_by_admin_id=creator.id,
            created_via=AdminCreatedVia.BOT,
            last_login_at=now,
        )
        session.add(admin)
        await session.flush()
        session.add(
            AdminSession(
                admin_id=admin.id,
                last_activity_at=now,
                expires_at=now + timedelta(hours=1),  # live: never revoked, so no revocation columns
            )
        )
        session.add(Blacklist(telegram_id=7501, reason="listed"))
        session.add(FsmState(key=FSM_KEY, state="Withdraw:amount", data=FSM_DATA))


def _columns(obj: Any) -> dict[str, tuple[Any, type]]:
    return {
        attr.key: (getattr(obj, attr.key), type(getattr(obj, attr.key)))
        for attr in inspect(obj).mapper.column_attrs
    }


async def test_the_hot_read_loads_what_the_orm_loads(db: Database) -> None:
    await _everything_set(db)
    found = await user_and_admin(db.engine, 7501, FSM_KEY)
    async with db.session() as session:
        user = (await session.execute(select(User).where(User.telegram_id == 7501))).scalar_one()
        admin = (await session.execute(select(Admin).where(Admin.telegram_id == 7501))).scalar_one()
        live = (
            await session.execute(select(AdminSession).where(AdminSession.admin_id == admin.id))
        ).scalar_one()
        fsm = await session.get(FsmState, FSM_KEY)
        assert fsm is not None
        for hot, orm in ((found.user, user), (found.admin, admin), (found.live, live)):
            assert hot is not None
            assert _columns(hot) == _columns(orm)  # values and their Python types, column by column
            state = inspect(hot)
            assert state.detached and state.key == inspect(orm).key
            assert not state.modified
    assert None not in (user.finpass_locked_until, user.banned_by_admin_id, admin.created_by_admin_id)
    assert found.blacklisted is True
    assert (found.fsm_state, found.fsm_data) == (fsm.state, fsm.data) == ("Withdraw:amount", FSM_DATA)


async def test_absent_rows_are_none(db: Database) -> None:
    found = await user_and_admin(db.engine, 7598, "no-such-key")
    assert (found.user, found.admin, found.live, found.blacklisted) == (None, None, None, False)
    assert (found.fsm_state, found.fsm_data) == (None, {})


async def test_a_hot_loaded_user_is_saved_like_a_loaded_one(db: Database) -> None:
    """The user middleware's profile refresh: change the detached row, add it to a session, commit."""
    async with db.transaction() as session:
        await make_user(session, telegram_id=7502, username="before")
    user = (await user_and_admin(db.engine, 7502)).user
    assert user is not None
    wallet = user.wallet_address
    user.username, user.username_lc = "After", "after"
    async with db.session() as session:
        session.add(user)
        await session.commit()
        session.expunge(user)
    async with db.session() as session:
        saved = (await session.execute(select(User).where(User.telegram_id == 7502))).scalar_one()
        assert (saved.username, saved.username_lc, saved.wallet_address) == ("After", "after", wallet)


async def test_a_failed_hot_read_discards_its_connection(db: Database) -> None:
    missing = Table("no_such_table", MetaData(), Column("id", BigInteger))
    broken = HotSelect(select(missing.c.id))
    for _ in range(3):
        with pytest.raises(Exception, match="no_such_table"):
            await broken.first(db.engine, {})
    assert db.engine.sync_engine.pool.checkedout() == 0
    found = await user_and_admin(db.engine, 7597)  # the pool still serves good connections
    assert found.user is None


async def test_a_hot_read_inside_a_write_transaction_is_refused(db: Database) -> None:
    """On SQLite a second connection inside a unit waits for our own write lock: the guard refuses it."""
    with pytest.raises(SecondConnectionInUnit):
        async with db.transaction():
            await user_and_admin(db.engine, 7596)
    assert db.engine.sync_engine.pool.checkedout() == 0


async def test_a_hot_read_inside_a_write_transaction_is_refused_after_reads_outside_it(db: Database) -> None:
    """The same once hot reads have run (on PostgreSQL they then use their own pinned connection, which
    no check-out guards): a read inside the unit still takes the pool path, and the guard refuses it."""
    await user_and_admin(db.engine, 7595)
    with pytest.raises(SecondConnectionInUnit):
        async with db.transaction():
            await user_and_admin(db.engine, 7596)


async def test_the_deposits_screen_reads_the_same_facts_as_the_activation_check(db: Database) -> None:
    """The Deposits screen's one hot read and the activation check's reads in a unit agree: flags,
    every deposit's level and status, and the verified, unbanned direct referrals (not deeper ones)."""
    from dataclasses import replace
    from decimal import Decimal

    from sigmatrade.db.models import Deposit
    from sigmatrade.db.session import reading
    from sigmatrade.domain.enums import DepositSource, DepositStatus
    from sigmatrade.domain.levels import GUEST
    from sigmatrade.services import deposits

    async with db.transaction() as session:
        top = await make_user(session, telegram_id=7510)
        lone = await make_user(session, telegram_id=7511, banned=True)
        child = await make_user(session, telegram_id=7512, referrer=top)
        await make_user(session, telegram_id=7513, referrer=top)
        await make_user(session, telegram_id=7514, referrer=top, banned=True)
        await make_user(session, telegram_id=7515, referrer=top, verified=False)
        await make_user(session, telegram_id=7516, referrer=child)  # depth 2 for top
        for level, status in (
            (1, DepositStatus.CONFIRMED),
            (1, DepositStatus.COMPLETED),
            (2, DepositStatus.PENDING),
        ):
            session.add(
                Deposit(
                    user_id=top.id,
                    level=level,
                    amount=Decimal(10 * level),
                    cap_amount=Decimal(50),
                    status=status,
                    source=DepositSource.USER,
                    expires_at=clock.now() + timedelta(hours=1),
                    accrued_total=Decimal(0),
                )
            )
    async with db.session() as session:
        for user_id in (top.id, lone.id, child.id, 10**9):
            hot = await deposits._screen_facts(session, user_id)
            async with reading(session):
                orm = await deposits._facts(session, user_id)
            # deposits come in no particular order either way
            assert replace(hot, deposits=sorted(hot.deposits)) == replace(orm, deposits=sorted(orm.deposits))
        top_facts = await deposits._screen_facts(session, top.id)
        assert top_facts.verified_referrals == 2 and len(top_facts.deposits) == 3
        assert (await deposits._screen_facts(session, lone.id)).banned
        assert await deposits._screen_facts(session, 10**9) == GUEST


async def test_concurrent_hot_reads_beyond_the_pool_size_close_their_overflow_connections(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An overflow connection is closed when it goes back to a full pool; the driver's close must run
    in SQLAlchemy's greenlet, or the connection (a PostgreSQL backend, an aiosqlite thread) leaks."""
    import logging
    import threading

    small = Database(db_url, pool_size=1, max_overflow=3)
    one = HotSelect(select(literal(1).label("one")))
    caplog.set_level(logging.ERROR, logger="sqlalchemy.pool")
    threads = threading.active_count()
    try:
        for _ in range(4):
            assert await asyncio.gather(*(one.first(small.engine, {}) for _ in range(8))) == [(1,)] * 8
        assert small.engine.sync_engine.pool.checkedout() == 0
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.records[:2]
        if small.is_sqlite:  # each aiosqlite connection is a thread of its own, ended on close
            kept = small.engine.sync_engine.pool.checkedin()  # what the pool keeps (SQLite: its default size)
            for _ in range(50):
                if threading.active_count() <= threads + kept:
                    break
                await asyncio.sleep(0.1)
            assert threading.active_count() <= threads + kept, threading.enumerate()
    finally:
        await small.dispose()
