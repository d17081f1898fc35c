"""Schema management: upgrade to the latest revision, check the current revision.

Alembic (about 11 MB and 0.2 s to import) is loaded only when the database is not at ``HEAD``: a
start against an up-to-date database reads ``alembic_version`` with one query and goes on.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sigmatrade.db.locks import lock_startup

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest migration's revision id. A new migration updates it; tests/integration/test_schema.py
# fails while it differs from the head alembic computes from the migration files.
HEAD = "0005_payout_queue_order"


def alembic_config(url: str = "") -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def head_revision() -> str:
    """The head computed by alembic from the migration files (what ``HEAD`` must say)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def _stored_revision(conn: AsyncConnection) -> str | None:
    """``alembic_version`` read directly (None: no such table, or empty)."""
    try:
        async with conn.begin_nested() if conn.in_transaction() else conn.begin():
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    except DBAPIError:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


async def upgrade(engine: AsyncEngine) -> None:
    """Apply every revision up to head (empty database -> full schema); nothing to do at ``HEAD``."""

    def _do(connection: Connection) -> None:
        from alembic import command

        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")

    async with engine.connect() as probe:
        if await _stored_revision(probe) == HEAD:
            return
    async with engine.begin() as conn:
        await lock_startup(conn)  # replicas started together migrate one after the other
        await conn.run_sync(_do)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await _stored_revision(conn)


async def is_at_head(engine: AsyncEngine) -> bool:
    return await current_revision(engine) == HEAD


NOT_AT_HEAD = "database schema is not at the latest revision: run `sigmatrade db upgrade`"
