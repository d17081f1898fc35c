"""Replicas started together prepare the database one after the other.

Two ``sigmatrade run`` processes started at the same moment both seed the settings defaults, the
system accounts and the bootstrap super admins. Without the start-up lock the second insert of a
settings key fails with a unique violation and that replica exits (seen in CI on PostgreSQL).
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from sigmatrade.app import prepare_database
from sigmatrade.config import load_config
from sigmatrade.db.models import Admin, LedgerAccount, SystemSetting
from sigmatrade.db.session import Database
from sigmatrade.services.settings import initial_values

REPLICAS = 4


async def test_replicas_started_together_all_prepare_the_database(db_url: str) -> None:
    config = load_config(_env_file=None, database_url=db_url, environment="test", super_admin_ids="7001,7002")
    databases = [Database(db_url) for _ in range(REPLICAS)]
    try:
        results = await asyncio.gather(
            *(prepare_database(db, config) for db in databases), return_exceptions=True
        )
        assert [r for r in results if isinstance(r, BaseException)] == []
        async with databases[0].transaction() as session:
            settings = await session.scalar(select(func.count()).select_from(SystemSetting))
            admins = (await session.scalars(select(Admin.telegram_id).order_by(Admin.telegram_id))).all()
            system_accounts = await session.scalar(
                select(func.count()).select_from(LedgerAccount).where(LedgerAccount.kind == "system")
            )
        assert settings == len(initial_values(config))
        assert list(admins) == [7001, 7002]
        assert system_accounts and system_accounts > 0
    finally:
        for db in databases:
            await db.dispose()
