"""Hash-chained audit log: verify passes; any modified, deleted or reordered row is found."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import text

from sigmatrade.context import request_id_var
from sigmatrade.db.models import AuditLog
from sigmatrade.db.session import Database
from sigmatrade.services import audit


async def _seed(db: Database, n: int = 5) -> None:
    async with db.transaction() as session:
        for i in range(n):
            await audit.log(
                session,
                audit.SYSTEM,
                "test_event",
                target_type="thing",
                target_id=i,
                amount=Decimal("1.10") * i,
                details={"i": i, "value": Decimal("0.1")},
            )


@pytest.fixture
async def unguarded(db: Database) -> AsyncIterator[Database]:
    """Tampering needs the append-only guard off (it is restored for the next test on PostgreSQL)."""
    async with db.transaction() as session:
        if db.is_sqlite:
            await session.execute(text("DROP TRIGGER audit_log_no_update"))
            await session.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            await session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"))
    yield db
    if not db.is_sqlite:
        async with db.transaction() as session:
            await session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update"))


async def test_chain_verifies(db: Database) -> None:
    await _seed(db)
    async with db.session() as session:
        result = await audit.verify(session)
    assert result.ok and result.rows >= 5


async def test_modified_row_detected(unguarded: Database) -> None:
    db = unguarded
    await _seed(db)
    async with db.transaction() as session:
        await session.execute(text("UPDATE audit_log SET target_id = 99 WHERE id = 3"))
    async with db.session() as session:
        result = await audit.verify(session)
    assert not result.ok and result.first_broken_id == 3


async def test_deleted_row_detected(unguarded: Database) -> None:
    db = unguarded
    await _seed(db)
    async with db.transaction() as session:
        await session.execute(text("DELETE FROM audit_log WHERE id = 2"))
    async with db.session() as session:
        result = await audit.verify(session)
    assert not result.ok and result.first_broken_id == 3


async def test_request_id_recorded(db: Database) -> None:
    token = request_id_var.set("feedfacecafebeef")
    try:
        async with db.transaction() as session:
            row = await audit.log(session, audit.SYSTEM, "with_request")
    finally:
        request_id_var.reset(token)
    async with db.session() as session:
        stored = await session.get(AuditLog, row.id)
        assert stored is not None and stored.request_id == "feedfacecafebeef"
