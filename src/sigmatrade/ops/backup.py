"""Database backups and restore (SPEC §9.6, §10.4).

* PostgreSQL: ``pg_dump`` custom format (compressed by pg_dump), verified with ``pg_restore --list``.
* SQLite: the online backup API into a consistent copy, gzip-compressed, verified by opening the copy and
  running ``PRAGMA integrity_check``.
* With a key (``BACKUP_ENCRYPTION_KEY``) the file is sealed with AES-256-GCM (:mod:`sigmatrade.ops.sealed`)
  and gets the extra suffix ``.enc``.

Files are named ``sigmatrade_<UTC timestamp>.<ext>``, written under a hidden partial name with mode 0600,
verified, then renamed into place; a failed verification deletes the partial file and raises
:class:`BackupError`. Restore goes into an empty database only and refuses damaged files before
touching the target.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from sigmatrade.ops import sealed

PREFIX = "sigmatrade_"
WORK_PREFIX = f".{PREFIX}work-"
SQLITE_EXT = "sqlite.gz"
PG_EXT = "dump"
SEALED_EXT = ".enc"
DIGEST_EXT = ".sha256"
_STAMP = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(r"^sigmatrade_(\d{8}T\d{6}Z)\.(sqlite\.gz|dump)(\.enc)?$")
_GZIP_MAGIC = b"\x1f\x8b"
_PG_MAGIC = b"PGDMP"
_COPY = 1 << 20
PROGRESS_EVERY = 2.0  # seconds between progress reports of a running dump

Progress = Callable[[int], None]  # bytes written so far


class BackupError(Exception):
    """A backup or restore failed; ``str()`` is one line for the operator."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    taken_at: datetime
    size: int


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    encrypted: bool
    seconds: float


# ---------------------------------------------------------------------------------- naming, listing
def backup_name(now: datetime, *, postgres: bool, encrypted: bool) -> str:
    ext = PG_EXT if postgres else SQLITE_EXT
    return f"{PREFIX}{now.astimezone(UTC).strftime(_STAMP)}.{ext}{SEALED_EXT if encrypted else ''}"


def list_backups(directory: Path) -> list[BackupFile]:
    """Backups of this product in ``directory``, oldest first (other files are never touched)."""
    found: list[BackupFile] = []
    if not directory.is_dir():
        return found
    for entry in directory.iterdir():
        match = _NAME.match(entry.name)
        if match is None or not entry.is_file():
            continue
        taken = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
        found.append(BackupFile(entry, taken, entry.stat().st_size))
    return sorted(found, key=lambda b: (b.taken_at, b.path.name))


def _delete(path: Path) -> None:
    path.unlink(missing_ok=True)
    digest_path(path).unlink(missing_ok=True)


def apply_retention(directory: Path, days: int, now: datetime) -> list[Path]:
    """Delete backups taken more than ``days`` days before ``now``; returns the deleted paths."""
    limit = now - timedelta(days=days)
    deleted = []
    for backup in list_backups(directory):
        if backup.taken_at < limit:
            _delete(backup.path)
            deleted.append(backup.path)
    return deleted


def trim_to(directory: Path, max_bytes: int) -> list[Path]:
    """Delete the oldest backups until the rest fit in ``max_bytes``, always keeping the newest one."""
    backups = list_backups(directory)
    total = sum(b.size for b in backups)
    deleted = []
    for backup in backups[:-1]:
        if total <= max_bytes:
            break
        _delete(backup.path)
        total -= backup.size
        deleted.append(backup.path)
    return deleted


def remove_stale_partials(directory: Path, older_than: timedelta, now: datetime) -> list[Path]:
    """Partial files and work directories left by an interrupted backup, verify or restore (a work
    directory holds the unencrypted copy: a process killed mid-way left it there for good)."""
    deleted: list[Path] = []
    if not directory.is_dir():
        return deleted
    for entry in directory.iterdir():
        if not entry.name.startswith(f".{PREFIX}"):
            continue
        modified = datetime.fromtimestamp(entry.stat().st_mtime, UTC)
        if now - modified <= older_than:
            continue
        if entry.is_file():
            entry.unlink(missing_ok=True)
            deleted.append(entry)
        elif entry.is_dir() and entry.name.startswith(WORK_PREFIX):
            shutil.rmtree(entry, ignore_errors=True)
            deleted.append(entry)
    return deleted


# ---------------------------------------------------------------------------------- checksums
def digest_path(path: Path) -> Path:
    """The SHA-256 sidecar of a backup: detects truncation and tampering of unencrypted files too."""
    return path.with_name(path.name + DIGEST_EXT)


def file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_COPY), b""):
            sha.update(block)
    return sha.hexdigest()


def _write_digest(path: Path, digest: str) -> None:
    with os.fdopen(_private_file(digest_path(path)), "w") as out:
        out.write(f"{digest}  {path.name}\n")


def check_digest(path: Path) -> None:
    """Compare ``path`` with its sidecar when one exists (a file copied alone is checked by its format)."""
    sidecar = digest_path(path)
    if not sidecar.is_file():
        return
    expected = sidecar.read_text().split()[0] if sidecar.read_text().strip() else ""
    if file_digest(path) != expected:
        raise BackupError(f"{path.name} is damaged or was altered (checksum mismatch with {sidecar.name})")


# ---------------------------------------------------------------------------------- helpers
def _private_file(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)


def _copy(source: object, target: object) -> None:
    shutil.copyfileobj(source, target, _COPY)  # type: ignore[arg-type]


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("the SQLite database of DATABASE_URL is not a file")
    return Path(database)


def is_postgres_url(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def pg_tool(name: str) -> str:
    """The newest installed PostgreSQL client tool (a newer pg_dump reads older servers)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (package postgresql-client)")
    return found


def _pg_env(url: URL) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values = {
        "PGHOST": url.host or "",
        "PGPORT": str(url.port or ""),
        "PGUSER": url.username or "",
        "PGPASSWORD": url.password or "",
        "PGDATABASE": url.database or "",
    }
    env.update({k: v for k, v in values.items() if v})
    return env


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=env, check=False)  # noqa: S603


def _first_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[0][:300] if lines else "no details"


@contextmanager
def _workdir(near: Path) -> Iterator[Path]:
    near.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=near))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


class _Watcher:
    """Reports the growing size of a file every ``PROGRESS_EVERY`` seconds while a dump runs."""

    def __init__(self, path: Path, progress: Progress | None) -> None:
        self.path, self.progress = path, progress
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(PROGRESS_EVERY):
            with suppress(OSError):
                if self.progress is not None:
                    self.progress(self.path.stat().st_size)

    def __enter__(self) -> _Watcher:
        if self.progress is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


# ---------------------------------------------------------------------------------- backup
def make_backup(
    database_url: str,
    directory: Path,
    *,
    key: bytes | None,
    now: datetime,
    progress: Progress | None = None,
) -> BackupResult:
    """One verified backup of ``database_url`` in ``directory`` (blocking: run it in a thread)."""
    began = time.monotonic()
    postgres = is_postgres_url(database_url)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / backup_name(now, postgres=postgres, encrypted=key is not None)
    # The name is claimed first (exclusively): the job and the CLI started in the same second would
    # otherwise write one file, or leave one backup with the other's checksum.
    claim = directory / f".{final.name}.claim"
    try:
        os.close(os.open(claim, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise BackupError(f"{final.name} is being written by another backup; try again") from None
    if final.exists():
        claim.unlink(missing_ok=True)
        raise BackupError(f"{final.name} already exists; try again")
    partial = directory / f".{final.name}.partial"
    wrote_digest = False
    try:
        with _workdir(directory) as work:
            plain = work / ("dump" if postgres else "copy.gz")
            if postgres:
                _pg_dump(make_url(database_url), plain, progress)
            else:
                _sqlite_copy(sqlite_path(database_url), work, plain, progress)
            fd = _private_file(partial)
            with os.fdopen(fd, "wb") as out, plain.open("rb") as src:
                if key is None:
                    _copy(src, out)
                else:
                    sealed.seal(src, out, key)
                out.flush()
                os.fsync(out.fileno())
        digest = file_digest(partial)
        verify(partial, key, postgres=postgres)
        wrote_digest = True
        _write_digest(final, digest)
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        if wrote_digest:
            digest_path(final).unlink(missing_ok=True)
        raise
    finally:
        claim.unlink(missing_ok=True)
    return BackupResult(final, final.stat().st_size, key is not None, time.monotonic() - began)


def _pg_dump(url: URL, target: Path, progress: Progress | None) -> None:
    args = [pg_tool("pg_dump"), "--format=custom", "--compress=6", "--no-password", f"--file={target}"]
    with _Watcher(target, progress):
        result = _run(args, env=_pg_env(url))
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {_first_error(result.stderr)}")


def _sqlite_copy(source: Path, work: Path, target: Path, progress: Progress | None) -> None:
    if not source.is_file():
        raise BackupError(f"the SQLite database {source.name} does not exist")
    copy = work / "copy.db"
    import sqlite3  # here and below: a PostgreSQL process never loads the SQLite library (0.8 MB)

    src = sqlite3.connect(source)
    dst = sqlite3.connect(copy)
    try:
        last = [time.monotonic()]

        def report(_status: int, remaining: int, total: int) -> None:
            if progress is not None and time.monotonic() - last[0] >= PROGRESS_EVERY:
                last[0] = time.monotonic()
                progress((total - remaining) * 4096)

        src.backup(dst, pages=1024, progress=report)
    finally:
        dst.close()
        src.close()
    with copy.open("rb") as raw, gzip.open(target, "wb", compresslevel=6) as packed:
        _copy(raw, packed)
    copy.unlink()


# ---------------------------------------------------------------------------------- verification
@contextmanager
def _opened_plain(path: Path, key: bytes | None, work: Path) -> Iterator[Path]:
    """The unencrypted content of a backup file (decrypted into ``work`` when sealed)."""
    with path.open("rb") as handle:
        head = handle.read(len(sealed.MAGIC))
    if not sealed.is_sealed(head):
        if key is not None:  # every backup made with the key is sealed: this one is not authenticated
            raise BackupError(
                f"{path.name} is not encrypted, but BACKUP_ENCRYPTION_KEY is set: an unencrypted file cannot "
                "be authenticated. If you trust it (a backup from before the key), restore it with the key unset."
            )
        yield path
        return
    if key is None:
        raise BackupError(f"{path.name} is encrypted: set BACKUP_ENCRYPTION_KEY to the key it was made with")
    plain = work / "plain"
    try:
        with path.open("rb") as src, os.fdopen(_private_file(plain), "wb") as out:
            sealed.unseal(src, out, key)
    except sealed.SealError as exc:
        raise BackupError(f"{path.name} is damaged or was altered: {exc}") from None
    yield plain


def _kind(plain: Path) -> str:
    with plain.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(_GZIP_MAGIC):
        return "sqlite"
    if head.startswith(_PG_MAGIC):
        return "postgresql"
    raise BackupError("not a SigmaTrade backup (unknown format)")


def _gunzip(source: Path, target: Path, name: str) -> None:
    try:
        with gzip.open(source, "rb") as packed, os.fdopen(_private_file(target), "wb") as out:
            _copy(packed, out)
    except (OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"{name} is damaged (truncated or altered): {exc}") from None


def _sqlite_integrity(db_file: Path, name: str) -> None:
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{name} is damaged: {exc}") from None
    if result is None or result[0] != "ok":
        raise BackupError(f"{name} failed the integrity check: {result[0] if result else 'no answer'}")
    if "alembic_version" not in tables:
        raise BackupError(f"{name} is not a SigmaTrade database (no schema revision)")


def _pg_list(dump: Path, name: str, *, full: bool = False) -> None:
    """``pg_restore --list`` reads the table of contents; ``full`` also reads every data block."""
    args = [pg_tool("pg_restore"), "--list", str(dump)]
    if full:
        args = [pg_tool("pg_restore"), "--file=/dev/null", str(dump)]
    result = _run(args)
    if result.returncode != 0:
        raise BackupError(f"{name} is damaged (pg_restore: {_first_error(result.stderr)})")


def verify(path: Path, key: bytes | None, *, postgres: bool | None = None) -> None:
    """Raise :class:`BackupError` unless ``path`` is a readable, intact backup."""
    name = path.name.removeprefix(".").removesuffix(".partial")
    with _workdir(path.parent) as work, _opened_plain(path, key, work) as plain:
        kind = _kind(plain)
        if postgres is not None and (kind == "postgresql") != postgres:
            raise BackupError(f"{name}: unexpected backup format {kind}")
        if kind == "sqlite":
            copy = work / "verify.db"
            _gunzip(plain, copy, name)
            _sqlite_integrity(copy, name)
        else:
            _pg_list(plain, name)


# ---------------------------------------------------------------------------------- restore
@dataclass(frozen=True)
class RestoreResult:
    kind: str
    seconds: float


def sqlite_companions(path: Path) -> list[Path]:
    """The write-ahead log, its index and the rollback journal SQLite keeps beside a database file."""
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def sqlite_is_empty(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return True
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        count = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
    finally:
        conn.close()
    return int(count) == 0


def restore_file(path: Path, database_url: str, key: bytes | None, *, target_empty: bool) -> RestoreResult:
    """Restore ``path`` into the database of ``database_url`` (blocking).

    ``target_empty`` is the caller's check of the target (PostgreSQL needs a connection); the file is
    fully checked (decrypted, decompressed, integrity) before the target is touched.
    """
    began = time.monotonic()
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    check_digest(path)
    postgres = is_postgres_url(database_url)
    with _workdir(path.resolve().parent) as work, _opened_plain(path, key, work) as plain:
        kind = _kind(plain)
        if (kind == "postgresql") != postgres:
            target = "PostgreSQL" if postgres else "SQLite"
            raise BackupError(f"{path.name} is a {kind} backup; DATABASE_URL points to {target}")
        if postgres:
            _pg_list(plain, path.name, full=True)
            if not target_empty:
                raise BackupError("the target database is not empty: restore only into an empty database")
            url = make_url(database_url)
            result = _run(
                [
                    pg_tool("pg_restore"),
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    "--no-password",
                    f"--dbname={url.database}",
                    str(plain),
                ],
                env=_pg_env(url),
            )
            if result.returncode != 0:
                raise BackupError(f"pg_restore failed: {_first_error(result.stderr)}")
        else:
            target_path = sqlite_path(database_url)
            target_path.parent.mkdir(parents=True, exist_ok=True)
            staged = target_path.parent / f".{target_path.name}.restoring"
            try:
                _gunzip(plain, staged, path.name)
                _sqlite_integrity(staged, path.name)
                if not sqlite_is_empty(target_path):
                    raise BackupError("the target database is not empty: restore only into an empty database")
                leftovers = [p.name for p in sqlite_companions(target_path) if p.exists()]
                if leftovers:  # SQLite would replay them over the restored file
                    raise BackupError(
                        f"{', '.join(leftovers)} beside the target belong to the database that was there: "
                        "move them away with it, then restore"
                    )
                os.replace(staged, target_path)
            finally:
                staged.unlink(missing_ok=True)
    return RestoreResult(kind, time.monotonic() - began)
