"""``sigmatrade backup`` and ``sigmatrade restore FILE`` (SPEC §9.6, §10.4).

``backup`` writes one verified backup to ``BACKUP_DIR`` (encrypted when ``BACKUP_ENCRYPTION_KEY`` is set),
prints a progress line while a long dump runs, then applies retention. ``restore`` fills the empty
database of ``DATABASE_URL`` from a backup (decrypting when needed); a non-empty target or a damaged file
is refused. Exit 0 on success, 1 on failure.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from sigmatrade.config import load_config


def register(subparsers: Any) -> None:
    sub = subparsers.add_parser("backup", help="write one verified database backup to BACKUP_DIR")
    sub.set_defaults(func=cmd_backup)
    restore = subparsers.add_parser(
        "restore", help="restore a backup into the empty database of DATABASE_URL"
    )
    restore.add_argument("file", type=Path, help="backup file (sigmatrade_<timestamp>.*)")
    restore.set_defaults(func=cmd_restore)


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def _progress(written: int) -> None:
    print(f"backup: {_mb(written)} written…", file=sys.stderr, flush=True)


def cmd_backup(args: argparse.Namespace) -> int:
    from sigmatrade.db.session import Database
    from sigmatrade.services import backup
    from sigmatrade.services.settings import SettingsStore

    settings = load_config()

    async def go() -> backup.Outcome:
        db = Database(settings.database_url)
        try:
            return await backup.run_backup(settings, SettingsStore(db.sessionmaker), progress=_progress)
        finally:
            await db.dispose()

    try:
        outcome = asyncio.run(go())
    except backup.BackupError as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    result = outcome.result
    print(
        f"backup written: {result.path} ({_mb(result.size)}, "
        f"{'encrypted' if result.encrypted else 'not encrypted'}, verified, {result.seconds:.1f} s)"
    )
    for path in outcome.deleted:
        print(f"retention: deleted {path.name}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from sigmatrade.services import backup

    settings = load_config()
    try:
        result = asyncio.run(backup.restore(settings, args.file))
    except backup.BackupError as exc:
        print(f"restore refused: {exc}", file=sys.stderr)
        return 1
    print(f"restored {args.file.name} ({result.kind}) in {result.seconds:.1f} s")
    print(
        "payout sending is off: payouts sent after this backup show as approved again. Run "
        "`sigmatrade ledger reconcile`, settle what the chain already paid, then "
        "`sigmatrade settings set payout.sending_enabled on`"
    )
    print("next: `sigmatrade ledger check` and `sigmatrade audit verify`")
    return 0
