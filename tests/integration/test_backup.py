"""Backup and restore (SPEC §9.6, §10.4, scenario 71) on the suite's backend, through the CLI:
compressed, mode 0600, verified; the restored database passes ``ledger check`` and ``audit verify`` with
identical balances; encrypted backups restore only with their key; truncated or altered files and
non-empty targets are refused; retention deletes only files older than the limit."""

from __future__ import annotations

import base64
import gzip
import os
import shutil
import sqlite3
import stat
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from sigmatrade.db.models import LedgerAccount
from sigmatrade.db.session import Database
from sigmatrade.ledger import entries
from sigmatrade.ledger.journal import post
from sigmatrade.ops import backup as files
from sigmatrade.services import audit
from tests.factories import credit, make_payout, make_user
from tests.integration.test_cli import _cli

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)

KEY = base64.b64encode(b"backup-test-key-of-32-bytes-long").decode()
OTHER_KEY = base64.b64encode(b"another-key-of-exactly-32-bytes!").decode()


async def _seed(db: Database) -> None:
    """Users with balances, a referral, a held withdrawal and audit rows."""
    async with db.transaction() as session:
        alice = await make_user(session, username="alice")
        bob = await make_user(session, username="bob", referrer=alice)
        await credit(session, alice, "125.5")
        await credit(session, bob, "0.000000000000000001")
        payout = await make_payout(session, alice, Decimal("20.25"))
        await post(session, entries.withdrawal_hold(payout.id, alice.id, Decimal("20.25")))
        await audit.log(
            session, audit.CLI, "seed", target_type="user", target_id=alice.id, amount=Decimal("1.5")
        )
        await audit.log(session, audit.SYSTEM, "seed_more", details={"note": "<b>x</b>"})


async def _balances(url: str) -> dict[str, str]:
    db = Database(url)
    try:
        async with db.session() as session:
            rows = (await session.execute(select(LedgerAccount.code, LedgerAccount.balance))).all()
    finally:
        await db.dispose()
    return {code: str(Decimal(balance).normalize()) for code, balance in rows}


@pytest.fixture
async def restore_url(db_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the same backend for the restore."""
    if db_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'db.sqlite'}"
        return
    url = make_url(db_url)
    name = f"{url.database}_restore"
    admin = Database(url.set(database="postgres").render_as_string(hide_password=False))
    autocommit = admin.engine.execution_options(isolation_level="AUTOCOMMIT")
    async with autocommit.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    async with autocommit.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


def _env(url: str, backup_dir: Path, key: str = "") -> dict[str, str]:
    return {"DATABASE_URL": url, "BACKUP_DIR": str(backup_dir), "BACKUP_ENCRYPTION_KEY": key}


def _one_backup(backup_dir: Path) -> Path:
    [found] = files.list_backups(backup_dir)
    return found.path


@pytest.mark.parametrize("key", ["", KEY], ids=["plain", "encrypted"])
async def test_round_trip_passes_checks_with_identical_balances(
    db: Database, db_url: str, restore_url: str, tmp_path: Path, key: str
) -> None:
    await _seed(db)
    backup_dir = tmp_path / "backups"
    made = _cli("backup", env=_env(db_url, backup_dir, key), cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    path = _one_backup(backup_dir)
    assert "verified" in made.stdout and path.name in made.stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    head = path.read_bytes()[:8]
    if key:
        assert path.name.endswith(".enc") and head.startswith(b"STBKENC1")
    elif db.is_sqlite:
        assert path.name.endswith(".sqlite.gz") and head.startswith(b"\x1f\x8b")  # gzip
    else:
        assert path.name.endswith(".dump") and head.startswith(b"PGDMP")  # pg_dump custom format
    assert not [p for p in backup_dir.iterdir() if p.name.startswith(".")]  # no partial or work files

    if key:
        no_key = _cli("restore", str(path), env=_env(restore_url, backup_dir), cwd=tmp_path)
        assert no_key.returncode == 1 and "is encrypted: set BACKUP_ENCRYPTION_KEY" in no_key.stderr
        wrong = _cli("restore", str(path), env=_env(restore_url, backup_dir, OTHER_KEY), cwd=tmp_path)
        assert wrong.returncode == 1 and "authentication failed" in wrong.stderr
    restored = _cli("restore", str(path), env=_env(restore_url, backup_dir, key), cwd=tmp_path)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    # A backup is older than the chain: payouts stay off until the operator turns them on (a payout
    # paid after the backup is approved again in these books, maybe from a wallet changed since).
    assert "payout sending is off" in restored.stdout
    env = {"DATABASE_URL": restore_url}
    got = _cli("settings", "get", "payout.sending_enabled", env=env, cwd=tmp_path)
    assert got.returncode == 0 and "payout.sending_enabled = off" in got.stdout.lower(), (
        got.stdout + got.stderr
    )
    bad = _cli("settings", "set", "payout.sending_enabled", "maybe", env=env, cwd=tmp_path)
    assert bad.returncode == 1 and "error:" in bad.stderr
    readonly = _cli("settings", "set", "payout.wallet_address", "0x" + "11" * 20, env=env, cwd=tmp_path)
    assert readonly.returncode == 1 and "read-only" in readonly.stderr
    turned = _cli("settings", "set", "payout.sending_enabled", "on", env=env, cwd=tmp_path)
    assert turned.returncode == 0 and "(was" in turned.stdout, turned.stdout + turned.stderr

    for command in (("ledger", "check"), ("audit", "verify")):
        checked = _cli(*command, env={"DATABASE_URL": restore_url}, cwd=tmp_path)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    source, copy = await _balances(db_url), await _balances(restore_url)
    assert copy == source and len(source) > 6
    assert any(v == "1E-18" for v in copy.values())  # exact to the last wei

    again = _cli("restore", str(path), env=_env(restore_url, backup_dir, key), cwd=tmp_path)
    assert again.returncode == 1 and "not empty" in again.stderr
    assert await _balances(restore_url) == source


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x55
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_truncate, _flip], ids=["truncated", "tampered"])
@pytest.mark.parametrize("key", ["", KEY], ids=["plain", "encrypted"])
async def test_damaged_file_is_refused_and_target_untouched(
    db: Database, db_url: str, restore_url: str, tmp_path: Path, key: str, damage: object
) -> None:
    await _seed(db)
    backup_dir = tmp_path / "backups"
    assert _cli("backup", env=_env(db_url, backup_dir, key), cwd=tmp_path).returncode == 0
    path = _one_backup(backup_dir)
    damage(path)  # type: ignore[operator]
    result = _cli("restore", str(path), env=_env(restore_url, backup_dir, key), cwd=tmp_path)
    assert result.returncode == 1
    assert "restore refused:" in result.stderr and "damaged" in result.stderr, result.stderr
    if not key and not db.is_sqlite and damage is _flip:
        return  # pg_dump's custom format has no checksum of its own: the .sha256 file is the guard
    # Copied without its checksum file, the format itself still catches the damage.
    files.digest_path(path).unlink()
    alone = _cli("restore", str(path), env=_env(restore_url, backup_dir, key), cwd=tmp_path)
    assert alone.returncode == 1 and "damaged" in alone.stderr, alone.stderr
    from sigmatrade.services.backup import target_is_empty

    assert await target_is_empty(restore_url)


def test_sqlite_backup_is_compressed_and_verified_before_it_is_kept(tmp_path: Path) -> None:
    import sqlite3

    source = tmp_path / "src.db"
    conn = sqlite3.connect(source)
    conn.execute("CREATE TABLE alembic_version (version_num text)")
    conn.execute("CREATE TABLE t (v text)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 200,)] * 2000)
    conn.commit()
    conn.close()
    result = files.make_backup(
        f"sqlite+aiosqlite:///{source}",
        tmp_path / "b",
        key=None,
        now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert result.path.name == "sigmatrade_20260102T030405Z.sqlite.gz"
    assert result.size < source.stat().st_size / 10  # compressed
    with gzip.open(result.path) as packed:
        assert packed.read(16) == b"SQLite format 3\x00"

    not_ours = tmp_path / "other.db"
    sqlite3.connect(not_ours).execute("CREATE TABLE t (v text)").connection.commit()
    with pytest.raises(files.BackupError, match="not a SigmaTrade database"):
        files.make_backup(f"sqlite+aiosqlite:///{not_ours}", tmp_path / "c", key=None, now=datetime.now(UTC))
    assert list((tmp_path / "c").iterdir()) == []  # failed verification leaves nothing behind


def _touch_backup(directory: Path, taken: datetime, size: int = 10) -> Path:
    path = directory / files.backup_name(taken, postgres=False, encrypted=False)
    path.write_bytes(b"x" * size)
    files.digest_path(path).write_text("0  x\n")
    return path


def test_retention_deletes_only_files_older_than_the_limit(tmp_path: Path) -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    old = _touch_backup(tmp_path, now - timedelta(days=30, seconds=1))
    edge = _touch_backup(tmp_path, now - timedelta(days=30))
    fresh = _touch_backup(tmp_path, now - timedelta(days=1))
    stranger = tmp_path / "sigmatrade_notes.txt"
    stranger.write_text("not a backup")
    os.utime(stranger, (0, 0))
    assert files.apply_retention(tmp_path, 30, now) == [old]
    assert not old.exists() and not files.digest_path(old).exists()
    assert edge.exists() and fresh.exists() and stranger.exists()


def test_trim_keeps_the_newest_backup(tmp_path: Path) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    paths = [_touch_backup(tmp_path, now - timedelta(hours=h), size=100) for h in (3, 2, 1)]
    assert files.trim_to(tmp_path, 150) == paths[:2]
    assert files.trim_to(tmp_path, 1) == []  # the last one stays even over the limit
    assert paths[2].exists()


async def test_backup_job_writes_applies_retention_skips_when_disk_is_short_and_alerts(
    db_url: str, tmp_path: Path
) -> None:
    from sigmatrade import clock
    from sigmatrade.db.models import Admin, JobLease
    from sigmatrade.domain.enums import JobStatus
    from sigmatrade.jobs.scheduler import Scheduler
    from sigmatrade.sandbox.harness import Harness
    from tests.conftest import REDIS_URL

    backup_dir = tmp_path / "backups"
    backup_dir.mkdir()
    expired = _touch_backup(backup_dir, clock.now() - timedelta(days=31))
    kept = _touch_backup(backup_dir, clock.now() - timedelta(days=29))
    h = Harness(db_url, redis_url=REDIS_URL, backup_dir=str(backup_dir), backup_encryption_key=KEY)
    await h.start()
    try:
        async with h.rt.db.transaction() as session:
            session.add(Admin(telegram_id=9700, role="admin", created_via="cli"))
        admin = h.user(9700, "Ops")
        admin.user.started = True
        usage = [40.0]
        h.rt.ops.disk_usage = lambda path: usage[0]
        scheduler = Scheduler(h.rt)

        assert await scheduler.run_now("backup") == JobStatus.OK
        written = [b for b in files.list_backups(backup_dir) if b.path not in (expired, kept)]
        assert len(written) == 1 and written[0].path.name.endswith(".enc")
        assert not expired.exists() and kept.exists()
        files.verify(written[0].path, base64.b64decode(KEY))

        usage[0] = 86.0  # shed tier: no new backup
        written[0].path.unlink()
        assert await scheduler.run_now("backup") == JobStatus.OK
        assert [b.path for b in files.list_backups(backup_dir)] == [kept]
        async with h.rt.db.session() as session:
            lease = await session.get(JobLease, "backup")
        assert lease is not None and lease.last_status == JobStatus.OK

        usage[0] = 40.0
        h.rt.config.backup_dir = str(kept)  # a file, not a directory: the backup cannot be written
        assert await scheduler.run_now("backup") == JobStatus.ERROR
        [alert] = admin.messages()
        assert "Резервное копирование не удалось" in alert.body
    finally:
        await h.stop()


def test_progress_is_reported_while_copying(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    source = tmp_path / "src.db"
    conn = sqlite3.connect(source)
    conn.execute("CREATE TABLE alembic_version (version_num text)")
    conn.execute("CREATE TABLE t (v text)")
    conn.executemany("INSERT INTO t VALUES (?)", [(os.urandom(100).hex(),)] * 30_000)
    conn.commit()
    conn.close()
    monkeypatch.setattr(files, "PROGRESS_EVERY", 0.0)
    seen: list[int] = []
    files.make_backup(
        f"sqlite+aiosqlite:///{source}", tmp_path / "b", key=None, now=datetime.now(UTC), progress=seen.append
    )
    assert len(seen) >= 2 and seen == sorted(seen) and seen[-1] > 0


def test_cli_refusals_are_one_clear_line(tmp_path: Path) -> None:
    missing = _cli(
        "restore", str(tmp_path / "nope.dump"), env=_env(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path)
    )
    assert (
        missing.returncode == 1
        and missing.stderr.strip() == f"restore refused: {tmp_path / 'nope.dump'} does not exist"
    )
    stranger = tmp_path / "sigmatrade_20260101T000000Z.dump"
    stranger.write_bytes(b"hello, not a backup")
    odd = _cli("restore", str(stranger), env=_env(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path))
    assert odd.returncode == 1 and "not a SigmaTrade backup" in odd.stderr
    bad_key = _cli("backup", env=_env(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path, "short"))
    assert bad_key.returncode == 1 and "BACKUP_ENCRYPTION_KEY" in bad_key.stderr
    no_db = _cli("backup", env=_env(f"sqlite+aiosqlite:///{tmp_path / 'absent.db'}", tmp_path))
    assert (
        no_db.returncode == 1
        and "backup failed: the SQLite database absent.db does not exist" in no_db.stderr
    )


# ------------------------------------------------- file-level findings of the review of 2026-12-07
def _sqlite_db(path: Path, amount: str, *, wal: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE alembic_version (version_num text)")
    conn.execute("CREATE TABLE ledger (id integer primary key, amount text)")
    conn.executemany("INSERT INTO ledger VALUES (?, ?)", [(i, amount) for i in range(1, 200)])
    conn.commit()
    return conn


def test_a_restore_refuses_a_stale_write_ahead_log_beside_the_target(tmp_path: Path) -> None:
    """The damaged database was moved away but its -wal/-shm stayed: SQLite replayed them over the
    restored file, which then held the old database's rows while the restore reported success."""
    _sqlite_db(tmp_path / "src.db", "100").close()
    made = files.make_backup(f"sqlite+aiosqlite:///{tmp_path / 'src.db'}", tmp_path / "bk", key=None, now=NOW)
    live = _sqlite_db(tmp_path / "live.db", "999", wal=True)  # stopped before a checkpoint
    target = tmp_path / "data" / "sigmatrade.db"
    target.parent.mkdir()
    for suffix in ("-wal", "-shm"):
        shutil.copy(f"{tmp_path / 'live.db'}{suffix}", f"{target}{suffix}")
    live.close()
    with pytest.raises(files.BackupError, match="-wal"):
        files.restore_file(made.path, f"sqlite+aiosqlite:///{target}", None, target_empty=True)
    assert not target.exists()
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink()
    files.restore_file(made.path, f"sqlite+aiosqlite:///{target}", None, target_empty=True)
    conn = sqlite3.connect(target)
    assert conn.execute("SELECT amount, count(*) FROM ledger GROUP BY amount").fetchall() == [("100", 199)]
    conn.close()


def test_with_a_backup_key_an_unencrypted_file_is_refused(tmp_path: Path) -> None:
    """Every backup made with the key is sealed (authenticated); an unsealed file with a matching
    .sha256 can be forged by anyone who can write to the backup storage."""
    _sqlite_db(tmp_path / "forged.db", "1000000").close()
    forged = files.make_backup(
        f"sqlite+aiosqlite:///{tmp_path / 'forged.db'}", tmp_path / "bk", key=None, now=NOW
    )
    target = tmp_path / "data" / "sigmatrade.db"
    with pytest.raises(files.BackupError, match="not encrypted"):
        files.restore_file(forged.path, f"sqlite+aiosqlite:///{target}", b"k" * 32, target_empty=True)
    assert not target.exists()


def test_work_directories_left_by_a_killed_backup_are_removed(tmp_path: Path) -> None:
    work = tmp_path / f"{files.WORK_PREFIX}abc123"
    work.mkdir()
    plain = work / "copy.gz"
    plain.write_bytes(b"\x1f\x8b" + b"x" * 1000)
    old = time.time() - 3 * 86400
    os.utime(plain, (old, old))
    os.utime(work, (old, old))
    fresh = tmp_path / f"{files.WORK_PREFIX}running"
    fresh.mkdir()
    removed = files.remove_stale_partials(tmp_path, timedelta(days=1), datetime.now(UTC))
    assert removed == [work] and not work.exists() and fresh.exists()


def test_two_backups_in_the_same_second_never_share_a_file(tmp_path: Path) -> None:
    """The job and the CLI started in the same second wrote one partial file, and one could leave the
    other's backup with its own checksum (found by an independent review): the name is claimed first."""
    _sqlite_db(tmp_path / "src.db", "100").close()
    url = f"sqlite+aiosqlite:///{tmp_path / 'src.db'}"
    first = files.make_backup(url, tmp_path / "bk", key=None, now=NOW)
    with pytest.raises(files.BackupError, match="already exists"):
        files.make_backup(url, tmp_path / "bk", key=None, now=NOW)
    files.check_digest(first.path)  # the first backup and its checksum are untouched
    files.verify(first.path, None)
    later = NOW + timedelta(seconds=1)
    name = files.backup_name(later, postgres=False, encrypted=False)
    (tmp_path / "bk" / f".{name}.claim").touch()  # another run is writing that name
    with pytest.raises(files.BackupError, match="being written"):
        files.make_backup(url, tmp_path / "bk", key=None, now=later)
    assert not (tmp_path / "bk" / name).exists()
