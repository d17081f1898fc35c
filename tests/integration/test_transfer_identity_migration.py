"""Revision 0002 (issue 9, finding 2): existing chain transfers get their on-chain identity."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from sigmatrade.db import schema
from sigmatrade.db.session import Database
from sigmatrade.domain.transfers import TransferIdentity

TX = "0x" + "ab" * 32
TOKEN = "0x" + "11" * 20
SENDER = "0x" + "22" * 20
SYSTEM = "0x" + "33" * 20
RAW = 10 * 10**18


def _migrate(target: str, down: bool) -> object:
    def run(connection: Connection) -> None:
        cfg = schema.alembic_config()
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, target)

    return run


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


async def test_existing_rows_get_occurrence_and_key(database: Database) -> None:
    async with database.engine.begin() as conn:
        await conn.run_sync(_migrate("0001", down=True))  # type: ignore[arg-type]
    rows = [(1, TX, 5, RAW), (2, TX, 3, RAW), (3, TX, 4, RAW + 1)]  # two identical logs in one tx
    async with database.engine.begin() as conn:
        for row_id, tx, index, raw in rows:
            await conn.execute(
                text(
                    "INSERT INTO chain_transfers (id, chain_id, token_address, tx_hash, log_index, "
                    "block_number, block_hash, from_address, to_address, raw_value, amount, match_status, "
                    "confirmation_status, created_at, updated_at) VALUES (:id, 56, :token, :tx, :index, 7, "
                    ":hash, :sender, :system, :raw, :amount, 'dust', 'pending', :now, :now)"
                ),
                {
                    "id": row_id,
                    "token": TOKEN,
                    "tx": tx,
                    "index": index,
                    "hash": "0x" + "cd" * 32,
                    "sender": SENDER,
                    "system": SYSTEM,
                    "raw": str(raw) if conn.dialect.name == "sqlite" else raw,
                    "amount": "10" if conn.dialect.name == "sqlite" else 10,
                    "now": datetime(2026, 1, 1, tzinfo=UTC),
                },
            )
    async with database.engine.begin() as conn:
        await conn.run_sync(_migrate("head", down=False))  # type: ignore[arg-type]
        got = {
            row[0]: (row[1], row[2])
            for row in await conn.execute(text("SELECT id, occurrence, transfer_key FROM chain_transfers"))
        }

    def key(raw: int, occurrence: int) -> str:
        return TransferIdentity(56, TX, TOKEN, SENDER, SYSTEM, raw, occurrence).key

    assert got == {1: (1, key(RAW, 1)), 2: (0, key(RAW, 0)), 3: (0, key(RAW + 1, 0))}
    assert await schema.is_at_head(database.engine)
