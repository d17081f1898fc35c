"""Backup and restore for the job and the CLI (SPEC §9.6, §10.4): the blocking file work of
:mod:`sigmatrade.ops.backup` runs in a thread; retention follows ``backup.retention_days``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from sigmatrade import clock
from sigmatrade.config import Config, decode_key
from sigmatrade.db.session import Database
from sigmatrade.logging import get_logger
from sigmatrade.ops import backup as files
from sigmatrade.ops.backup import BackupError, Progress
from sigmatrade.services import audit
from sigmatrade.services import settings as settings_service
from sigmatrade.services.settings import SettingsStore

log = get_logger("sigmatrade.backup")

__all__ = ["BackupError", "Outcome", "backup_key", "restore", "run_backup", "target_is_empty"]


@dataclass
class Outcome:
    result: files.BackupResult
    deleted: list[Path] = field(default_factory=list)


def backup_key(settings: Config) -> bytes | None:
    if settings.backup_encryption_key is None:
        return None
    return decode_key(settings.backup_encryption_key.get_secret_value(), "BACKUP_ENCRYPTION_KEY")


async def run_backup(settings: Config, store: SettingsStore, *, progress: Progress | None = None) -> Outcome:
    """One verified backup, then retention (files older than ``backup.retention_days``)."""
    directory = Path(settings.backup_dir)
    result = await asyncio.to_thread(
        files.make_backup,
        settings.database_url,
        directory,
        key=backup_key(settings),
        now=clock.now(),
        progress=progress,
    )
    days = int(await store.get("backup.retention_days"))
    deleted = await asyncio.to_thread(files.apply_retention, directory, days, clock.now())
    log.info(
        "backup_written",
        file=result.path.name,
        size=result.size,
        encrypted=result.encrypted,
        seconds=round(result.seconds, 2),
        retention_deleted=[p.name for p in deleted],
    )
    return Outcome(result, deleted)


async def target_is_empty(database_url: str) -> bool:
    """No tables at all in the target database (SQLite: a missing file counts as empty)."""
    if not files.is_postgres_url(database_url):
        return await asyncio.to_thread(files.sqlite_is_empty, files.sqlite_path(database_url))
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            count = await conn.scalar(
                text(
                    "SELECT count(*) FROM information_schema.tables "
                    "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                )
            )
    finally:
        await db.dispose()
    return int(count or 0) == 0


# A backup is older than the chain: payouts sent after it are approved again in the restored books
# (even from a payout wallet changed since, which the nonce guard of chain/nonces.py cannot see).
# Sending stays off until the operator has reconciled and turns it on (`sigmatrade settings set`).
STOPPED_BY_RESTORE = {"payout.sending_enabled": False, "payout.auto_enabled": False}


async def restore(settings: Config, path: Path) -> files.RestoreResult:
    """Restore ``path`` into the empty database of ``DATABASE_URL``, turn payout sending off
    (``STOPPED_BY_RESTORE``) and audit it (actor ``cli``)."""
    url = settings.database_url
    empty = await target_is_empty(url)
    result = await asyncio.to_thread(files.restore_file, path, url, backup_key(settings), target_empty=empty)
    db = Database(url)
    try:
        async with db.transaction() as session:
            for key, value in STOPPED_BY_RESTORE.items():
                await settings_service.write(session, key, value, None)
            await audit.log(
                session,
                audit.CLI,
                "backup_restored",
                details={"file": path.name, "kind": result.kind, "settings": STOPPED_BY_RESTORE},
            )
    finally:
        await db.dispose()
    return result
