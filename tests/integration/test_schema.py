"""Schema: built from empty by the migration on both dialects, exact money, enforced constraints."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from sigmatrade.db import schema
from sigmatrade.db.base import Base
from sigmatrade.db.models import AuditLog, LedgerAccount, SystemSetting
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import AccountKind


def test_head_constant_is_the_newest_migration() -> None:
    """``schema.HEAD`` (what a start compares with, without importing alembic) is alembic's head."""
    assert schema.head_revision() == schema.HEAD


async def test_migration_matches_models(db: Database) -> None:
    assert await schema.is_at_head(db.engine)

    def diff(conn: object) -> list[object]:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(ctx, Base.metadata))

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_partial_indexes_carry_their_models_predicate(db: Database) -> None:
    """The models name PostgreSQL's predicate only (``db/base.py: where``); the migrations build each
    partial index with its model's predicate on both databases."""
    partial = {
        index.name: index.info["where"]
        for table in Base.metadata.tables.values()
        for index in table.indexes
        if "where" in index.info
    }
    assert len(partial) >= 10
    query = (
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
        if db.is_sqlite
        else "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
    )
    async with db.engine.connect() as conn:
        for name, predicate in partial.items():
            ddl = (await conn.execute(text(query), {"name": name})).scalar_one()
            if db.is_sqlite:
                assert ddl.endswith(f"WHERE {predicate}"), (name, ddl)
            else:  # PostgreSQL writes the predicate back in its own form: every name and value it holds
                condition = ddl.split(" WHERE ", 1)[1]
                assert all(word in condition for word in re.findall(r"[a-z_0-9]+", predicate)), (name, ddl)


async def test_money_round_trips_exactly(db: Database) -> None:
    values = [
        Decimal("0.1") + Decimal("0.2"),
        Decimal("0.000000000000000001"),
        Decimal("12345678901234567890.123456789012345678"),
        Decimal("10.500000000000000000"),
    ]
    async with db.transaction() as session:
        for i, value in enumerate(values):
            session.add(LedgerAccount(code=f"test:{i}", kind=AccountKind.SYSTEM, balance=value))
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(LedgerAccount).where(LedgerAccount.code.like("test:%")).order_by(LedgerAccount.code)
            )
        ).all()
        assert [r.balance for r in rows] == values
        assert rows[0].balance == Decimal("0.3")


async def test_more_than_18_decimals_refused(db: Database) -> None:
    with pytest.raises(Exception, match="more than 18 decimals"):
        async with db.transaction() as session:
            session.add(LedgerAccount(code="bad", kind=AccountKind.SYSTEM, balance=Decimal("1e-19")))


async def test_negative_user_balance_rejected_by_the_database(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO users (telegram_id, wallet_address, wallet_address_lc, referral_code, finpass_hash, "
                "finpass_updated_at, finpass_failed_attempts, is_verified, is_banned, earnings_blocked, is_unreachable, "
                "accrual_notifications, created_at, updated_at) VALUES (1, '0xA', '0xa', 'CODE', 'h', "
                ":ts, 0, false, false, false, false, false, :ts, :ts)"
            ),
            {"ts": _ts(db)},
        )
        uid = (await session.execute(text("SELECT id FROM users"))).scalar_one()
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(
                LedgerAccount(
                    code="user:x:available",
                    kind=AccountKind.USER_AVAILABLE,
                    user_id=uid,
                    balance=Decimal("-0.01"),
                )
            )


def _ts(db: Database) -> object:
    from sigmatrade import clock

    now = clock.now()
    return now.replace(tzinfo=None) if db.is_sqlite else now


async def test_settings_seeded(db: Database) -> None:
    async with db.session() as session:
        keys = set((await session.scalars(select(SystemSetting.key))).all())
    assert {"deposit.level_amounts", "referral.rates", "job.blockchain_monitor.interval_seconds"} <= keys


async def test_audit_log_is_append_only(db: Database) -> None:
    from sigmatrade.services import audit

    async with db.transaction() as session:
        await audit.log(session, audit.SYSTEM, "test_event")
    with pytest.raises(Exception, match="append-only"):
        async with db.transaction() as session:
            await session.execute(text("UPDATE audit_log SET action = 'x'"))
    with pytest.raises(Exception, match="append-only"):
        async with db.transaction() as session:
            await session.execute(text("DELETE FROM audit_log"))
    async with db.session() as session:
        assert (await session.scalar(select(AuditLog.action))) == "test_event"
